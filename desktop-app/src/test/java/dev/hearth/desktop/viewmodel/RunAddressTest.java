package dev.hearth.desktop.viewmodel;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class RunAddressTest {
    static final String FP = "#sha256=" + "ab".repeat(32);

    @Test
    void acceptsHostPortAndOptionalFingerprint() {
        assertEquals(Optional.empty(), RunAddress.problem("hearth://run.example.org:7443" + FP));
        assertEquals(Optional.empty(), RunAddress.problem("hearth://10.0.0.2:7443/" + FP));
        assertEquals(Optional.empty(), RunAddress.problem("HEARTH://[::1]:7443" + FP.toUpperCase()));
    }

    @Test
    void namesWhatIsWrong() {
        assertEquals("enter a hearth:// address", RunAddress.problem(" ").orElseThrow());
        assertEquals("must start with hearth://", RunAddress.problem("https://x:1").orElseThrow());
        assertEquals("needs #sha256=<fingerprint> at the end: without it the run cannot be verified",
                RunAddress.problem("hearth://x:7443").orElseThrow());
        assertEquals("the port must be a number", RunAddress.problem("hearth://x:abc" + FP).orElseThrow());
        assertEquals("the port must be between 1 and 65535", RunAddress.problem("hearth://x:70000" + FP).orElseThrow());
        assertEquals("\"bad_host\" is not a host name", RunAddress.problem("hearth://bad_host:1" + FP).orElseThrow());
        assertEquals("the part after # must be sha256= and 64 hex digits", RunAddress.problem("hearth://x:1#md5=00").orElseThrow());
    }

    @Test
    void settingsAlsoAcceptLocal() {
        assertEquals(Optional.empty(), RunAddress.settingsProblem("local"));
        assertTrue(RunAddress.settingsProblem("nowhere").isPresent());
    }
}
