package dev.hearth.protocol.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hearth.protocol.Fingerprints;
import dev.hearth.protocol.server.HearthServer;
import dev.hearth.protocol.server.Peer;
import dev.hearth.protocol.server.PeerHandler;
import dev.hearth.protocol.server.ServerConfig;
import dev.hearth.protocol.session.Disconnects;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Hello;
import java.net.InetAddress;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/// The coordinator speaks TLS 1.3 and nothing older, with its pinned certificate.
class TlsTest {
    private static final int SOCKET_TIMEOUT_MILLIS = 5_000;
    private static CoordinatorCertificate certificate;
    private static HearthServer server;

    @BeforeAll
    static void start() {
        certificate = CoordinatorCertificate.generate();
        server = HearthServer.start(ServerConfig.loopback(0, certificate), new PeerHandler() {
            @Override
            public void onAuthenticated(Peer peer, Hello hello) {
            }

            @Override
            public void onMessage(Peer peer, Envelope envelope) {
            }

            @Override
            public void onClosed(Peer peer, String reason) {
            }
        });
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static SSLSocket socket(String protocol, String pin) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new PinnedTrustManager(pin)}, null);
        SSLSocket socket = (SSLSocket) context.getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), server.port());
        socket.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
        socket.setEnabledProtocols(new String[] {protocol});
        return socket;
    }

    @Test
    void negotiatesTls13WithThePinnedCertificate() throws Exception {
        try (SSLSocket socket = socket("TLSv1.3", certificate.fingerprintHex())) {
            socket.startHandshake();
            assertEquals("TLSv1.3", socket.getSession().getProtocol());
            assertEquals(certificate.fingerprintHex(),
                    Fingerprints.sha256Hex(socket.getSession().getPeerCertificates()[0].getEncoded()));
        }
    }

    @Test
    void refusesTls12() throws Exception {
        try (SSLSocket socket = socket("TLSv1.2", certificate.fingerprintHex())) {
            assertThrows(SSLException.class, socket::startHandshake);
        }
    }

    @Test
    void pinnedTrustManagerFailsTheHandshakeOnAnotherCertificate() throws Exception {
        try (SSLSocket socket = socket("TLSv1.3", "11".repeat(32))) {
            SSLException e = assertThrows(SSLException.class, socket::startHandshake);
            FingerprintMismatchException mismatch = Disconnects.find(e, FingerprintMismatchException.class);
            assertEquals("11".repeat(32), mismatch.expected());
            assertEquals(certificate.fingerprintHex(), mismatch.got());
        }
    }
}
