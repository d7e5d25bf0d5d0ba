package dev.hearth.protocol.tls;

import java.security.cert.CertificateException;

/// The coordinator presented a certificate other than the one pinned in the run address: either the address is
/// wrong or outdated, or someone is in the middle. The node does not retry.
public final class FingerprintMismatchException extends CertificateException {
    private final String expected;
    private final String got;

    public FingerprintMismatchException(String expected, String got) {
        super("The coordinator's certificate does not match the run address: expected sha256=" + expected
                + " but the server presented sha256=" + got + ". Check the run address; if it is right, "
                + "someone may be intercepting the connection.");
        this.expected = expected;
        this.got = got;
    }

    public String expected() {
        return expected;
    }

    public String got() {
        return got;
    }
}
