package dev.hearth.protocol.tls;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLException;

/// TLS 1.3-only contexts on the JDK provider: the coordinator presents its self-signed certificate; the node
/// trusts exactly the pinned fingerprint (host names are not checked: the pin is stronger).
public final class TlsContexts {
    /// The only protocol offered or accepted.
    public static final String TLS_1_3 = "TLSv1.3";

    private TlsContexts() {
    }

    public static SslContext server(CoordinatorCertificate certificate) {
        try {
            return SslContextBuilder.forServer(certificate.privateKey(), certificate.certificate())
                    .sslProvider(SslProvider.JDK)
                    .protocols(TLS_1_3)
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the coordinator TLS context: " + e.getMessage(), e);
        }
    }

    public static SslContext client(String pinnedFingerprintHex) {
        try {
            return SslContextBuilder.forClient()
                    .sslProvider(SslProvider.JDK)
                    .protocols(TLS_1_3)
                    .trustManager(new PinnedTrustManager(pinnedFingerprintHex))
                    .endpointIdentificationAlgorithm(null)
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the node TLS context: " + e.getMessage(), e);
        }
    }
}
