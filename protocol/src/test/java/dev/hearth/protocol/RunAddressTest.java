package dev.hearth.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class RunAddressTest {
    private static final String FP = "ab".repeat(32);

    @Test
    void parsesHostPortAndFingerprint() {
        RunAddress address = RunAddress.parse("hearth://runs.example.org:7461#sha256=" + FP.toUpperCase());
        assertEquals("runs.example.org", address.host());
        assertEquals(7461, address.port());
        assertEquals(FP, address.fingerprintHex());
    }

    @Test
    void toStringRoundTrips() {
        for (String text : new String[] {"hearth://127.0.0.1:1#sha256=" + FP, "hearth://[::1]:65535#sha256=" + FP,
                "hearth://node-1.local:7461#sha256=" + FP}) {
            assertEquals(text, RunAddress.parse(text).toString());
            assertEquals(RunAddress.parse(text), RunAddress.parse(RunAddress.parse(text).toString()));
        }
    }

    @Test
    void parsesBracketedIpv6() {
        RunAddress address = RunAddress.parse("hearth://[2001:db8::1]:7461#sha256=" + FP);
        assertEquals("2001:db8::1", address.host());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "''|empty",
        "https://h:1#sha256=" + "ab" + "|does not start with hearth://",
        "hearth://h:1|no #sha256",
        "hearth://h:1#md5=00|sha256=<fingerprint>",
        "hearth://h:1#sha256=abc|not 64 hex",
        "hearth://h:1#sha256=" + "zz" + "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz|not 64 hex",
        "hearth://h#sha256=HEX|no port",
        "hearth://:7461#sha256=HEX|no host",
        "hearth://h:port#sha256=HEX|not a number",
        "hearth://h:0#sha256=HEX|outside 1..65535",
        "hearth://h:70000#sha256=HEX|outside 1..65535",
        "hearth://::1:7461#sha256=HEX|brackets",
        "hearth://[::1:7461#sha256=HEX|closing ']'",
        "hearth://bad_host!:7461#sha256=HEX|not a host name",
    })
    void rejectsMalformedAddressNamingThePart(String text, String expected) {
        String input = text.replace("HEX", FP);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunAddress.parse(input));
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should say " + expected);
    }
}
