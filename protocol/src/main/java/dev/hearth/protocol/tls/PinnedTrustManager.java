package dev.hearth.protocol.tls;

import dev.hearth.protocol.Fingerprints;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Locale;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/// Trusts exactly one server certificate: the one whose SHA-256 fingerprint is pinned in the run address.
/// Extends `X509ExtendedTrustManager` so the JDK does not wrap it with host-name checks that a self-signed,
/// fingerprint-pinned certificate cannot (and need not) pass. Never trusts clients.
public final class PinnedTrustManager extends X509ExtendedTrustManager {
    private final String expectedFingerprintHex;

    public PinnedTrustManager(String expectedFingerprintHex) {
        this.expectedFingerprintHex = expectedFingerprintHex.toLowerCase(Locale.ROOT);
    }

    private void checkPinned(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("The coordinator presented no certificate.");
        }
        String got = Fingerprints.sha256Hex(chain[0].getEncoded());
        if (!got.equals(expectedFingerprintHex)) {
            throw new FingerprintMismatchException(expectedFingerprintHex, got);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkPinned(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checkPinned(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checkPinned(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("a Hearth node does not accept client certificates");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
