package dev.hearth.node.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/// What the owner reads while a new run does not answer: the cause in a few words, never the exception chain.
class RunProbeTest {

    @Test
    void aRefusedConnectionIsOneSentenceWithTheRetryTime() {
        assertEquals("example.org:7443 does not answer yet (connection refused); trying again in 4 s.",
                RunProbe.notYet("example.org:7443", "cannot connect to example.org:7443: network error: Connection"
                        + " refused: example.org/93.184.216.34:7443", 4));
    }

    @Test
    void commonCausesAreNamedInWords() {
        assertEquals("no answer in time", RunProbe.cause("cannot connect to h:1: network error: connection timed out"));
        assertEquals("unknown host name", RunProbe.cause("cannot connect to nowhere.invalid:1: UnresolvedAddressException: null"));
        assertEquals("network unreachable", RunProbe.cause("cannot connect to h:1: network error: Network is unreachable"));
        assertEquals("secure connection failed", RunProbe.cause("TLS failed: handshake_failure"));
        assertEquals("closed by the coordinator", RunProbe.cause("closed by the coordinator"));
    }

    @Test
    void aRefusalForGoodSaysSo() {
        assertEquals("example.org:7443 refused this node (its certificate does not match the address's fingerprint).",
                RunProbe.refusal("example.org:7443", "certificate fingerprint mismatch: expected ab…, got cd…"));
    }
}
