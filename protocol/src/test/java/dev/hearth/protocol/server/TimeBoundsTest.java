package dev.hearth.protocol.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.hearth.protocol.Fingerprints;
import dev.hearth.protocol.MessageKind;
import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.SampleMessages;
import dev.hearth.protocol.framing.EnvelopeEncoder;
import dev.hearth.protocol.framing.FrameTimeoutException;
import dev.hearth.protocol.framing.Framing;
import dev.hearth.protocol.framing.HearthFrameDecoder;
import dev.hearth.protocol.framing.PipelineNames;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.session.Disconnects;
import dev.hearth.protocol.session.HelloSignatures;
import dev.hearth.protocol.tls.CoordinatorCertificate;
import dev.hearth.protocol.wire.ChallengeResponse;
import dev.hearth.protocol.wire.Chunk;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Hello;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/// Issue 14, point 5: bounded in time as well as size. Frames must finish at the minimum rate, a peer that does
/// not read its output stops being read and is closed if it does not drain, and failed handshakes are logged at a
/// bounded rate. Time is the embedded event loop's ticker, advanced by hand (no sleeps).
class TimeBoundsTest {

    private static final byte[] CERT_FINGERPRINT = Fingerprints.sha256(new byte[] {42});

    /// Records the exceptions that reach the end of the pipeline and closes, as the session handler does.
    private static final class Closer extends ChannelInboundHandlerAdapter {
        final List<Throwable> errors = new ArrayList<>();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
            ctx.close();
        }
    }

    private static EmbeddedChannel decoder(Closer closer) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        Framing.install(channel.pipeline(), "test", EnumSet.allOf(MessageKind.class));
        channel.pipeline().addLast(closer);
        return channel;
    }

    private static void advance(EmbeddedChannel channel, long millis) {
        channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }

    private static ByteBuf header(int length, MessageKind kind) {
        return Unpooled.buffer().writeInt(length).writeByte(kind.tag());
    }

    @Test
    void deadlineGrowsWithTheDeclaredLengthAtTheMinimumRate() {
        assertEquals(ProtocolLimits.FRAME_DEADLINE_BASE, ProtocolLimits.frameDeadline(0));
        long eightMiB = ProtocolLimits.MAX_UPDATE_UPLOAD_FRAME_BYTES;
        assertEquals(ProtocolLimits.FRAME_DEADLINE_BASE.toMillis() + eightMiB * 1000
                / ProtocolLimits.MIN_FRAME_RATE_BYTES_PER_SECOND, ProtocolLimits.frameDeadline(eightMiB).toMillis());
    }

    @Test
    void aFrameDribbledAByteAMinuteIsClosedAtItsDeadlineWithTheReason() {
        Closer closer = new Closer();
        EmbeddedChannel channel = decoder(closer);
        int length = ProtocolLimits.MAX_UPDATE_UPLOAD_FRAME_BYTES;
        long deadline = ProtocolLimits.frameDeadline(4L + length).toMillis();
        channel.writeInbound(header(length, MessageKind.UPDATE_UPLOAD));
        long elapsed = 0;
        while (elapsed + 60_000 < deadline) { // a byte a minute keeps the read-idle timer quiet, not this one
            advance(channel, 60_000);
            elapsed += 60_000;
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {7}));
            assertTrue(channel.isOpen(), "open " + elapsed + " ms in, deadline " + deadline + " ms");
        }
        advance(channel, deadline - elapsed - 1);
        assertTrue(channel.isOpen(), "open 1 ms before the deadline");
        advance(channel, 1);
        assertFalse(channel.isOpen(), "closed at the deadline");
        FrameTimeoutException e = assertInstanceOf(FrameTimeoutException.class, closer.errors.getFirst());
        assertTrue(e.getMessage().contains("a frame of " + (4L + length) + " bytes was not complete"), e.getMessage());
        assertTrue(Disconnects.describe(e).startsWith("protocol violation: a frame of"), Disconnects.describe(e));
    }

    @Test
    void aStalledHeaderIsClosedAfterTheBaseDeadline() {
        Closer closer = new Closer();
        EmbeddedChannel channel = decoder(closer);
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 1}));
        advance(channel, ProtocolLimits.FRAME_DEADLINE_BASE.toMillis() - 1);
        assertTrue(channel.isOpen());
        advance(channel, 1);
        assertFalse(channel.isOpen());
        assertInstanceOf(FrameTimeoutException.class, closer.errors.getFirst());
    }

    @Test
    void aHeaderCompletedLaterKeepsTheFramesStartTime() {
        Closer closer = new Closer();
        EmbeddedChannel channel = decoder(closer);
        ByteBuf h = header(60_000, MessageKind.HEARTBEAT);
        channel.writeInbound(h.readRetainedSlice(2));
        advance(channel, 5_000);
        channel.writeInbound(h); // header complete: the deadline is now the 60,000-byte frame's, from t = 0
        long deadline = ProtocolLimits.frameDeadline(60_004).toMillis();
        advance(channel, deadline - 5_000 - 1);
        assertTrue(channel.isOpen());
        advance(channel, 1);
        assertFalse(channel.isOpen());
    }

    @Test
    void framesThatFinishInTimeLeaveNoTimerBehind() throws IOException {
        Closer closer = new Closer();
        EmbeddedChannel channel = decoder(closer);
        ByteBuf bytes = Unpooled.buffer();
        Envelope e = SampleMessages.all().get(MessageKind.ROUND_START);
        EnvelopeEncoder.encode(e, bytes);
        channel.writeInbound(bytes.readRetainedSlice(6));
        advance(channel, 1_000);
        channel.writeInbound(bytes);
        assertEquals(e, channel.readInbound());
        advance(channel, 30 * 60_000);
        assertTrue(channel.isOpen(), "a completed frame is not timed");
        assertTrue(closer.errors.isEmpty(), closer.errors.toString());
    }

    // ---- back-pressure -------------------------------------------------------------------------------------

    /// Stands for a peer that does not read: holds every write (and its promise) until released.
    private static final class UnreadPeer extends ChannelDuplexHandler {
        final List<Object> held = new ArrayList<>();
        final List<ChannelPromise> promises = new ArrayList<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            held.add(msg);
            promises.add(promise);
        }

        void readAll() {
            held.forEach(ReferenceCountUtil::release);
            promises.forEach(ChannelPromise::setSuccess);
            held.clear();
            promises.clear();
        }
    }

    private Peer authenticated(EmbeddedChannel channel, List<String> closes) {
        NodeIdentity node = NodeIdentity.generate();
        List<Peer> peers = new ArrayList<>();
        HearthFrameDecoder decoder = Framing.install(channel.pipeline(), "coordinator",
                ServerSessionHandler.BEFORE_AUTHENTICATION);
        channel.pipeline().addLast(PipelineNames.SESSION, new ServerSessionHandler(new PeerHandler() {
            @Override
            public void onAuthenticated(Peer peer, Hello hello) {
                peers.add(peer);
            }

            @Override
            public void onMessage(Peer peer, Envelope envelope) {
            }

            @Override
            public void onClosed(Peer peer, String reason) {
                closes.add(reason);
            }
        }, CERT_FINGERPRINT, decoder, new SecureRandom(), Clock.systemUTC()));
        send(channel, Envelope.newBuilder().setHello(SampleMessages.hello(node)).build());
        Envelope challenge = firstOut(channel);
        send(channel, Envelope.newBuilder().setChallengeResponse(ChallengeResponse.newBuilder().setSignature(
                ByteString.copyFrom(HelloSignatures.sign(node, challenge.getChallenge().getNonce().toByteArray(),
                        CERT_FINGERPRINT)))).build());
        assertEquals(1, peers.size(), "authenticated");
        return peers.getFirst();
    }

    private static void send(EmbeddedChannel channel, Envelope envelope) {
        ByteBuf buf = Unpooled.buffer();
        try {
            EnvelopeEncoder.encode(envelope, buf);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        channel.writeInbound(buf);
    }

    private static Envelope firstOut(EmbeddedChannel channel) {
        EmbeddedChannel d = new EmbeddedChannel();
        Framing.install(d.pipeline(), "node", EnumSet.allOf(MessageKind.class));
        ByteBuf out;
        while ((out = channel.readOutbound()) != null) {
            d.writeInbound(out);
        }
        Envelope e = d.readInbound();
        assertNotNull(e, "the server wrote something");
        return e;
    }

    private static Envelope chunk() {
        return Envelope.newBuilder().setChunk(Chunk.newBuilder().setVersion(1).setIndex(0)
                .setData(ByteString.copyFrom(new byte[ProtocolLimits.MAX_CHUNK_DATA_BYTES]))).build();
    }

    @Test
    void aPeerThatDoesNotReadStopsBeingReadAndIsReadAgainOnceItDrains() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        UnreadPeer unread = new UnreadPeer();
        List<String> closes = new ArrayList<>();
        Peer peer = authenticated(channel, closes);
        channel.pipeline().addFirst(unread); // from here on, nothing the server writes is read
        int chunks = ProtocolLimits.WRITE_BUFFER_HIGH_WATER_MARK_BYTES / ProtocolLimits.MAX_CHUNK_DATA_BYTES + 1;
        for (int i = 0; i < chunks; i++) {
            assertTrue(peer.send(chunk()));
        }
        channel.runPendingTasks();
        assertFalse(channel.config().isAutoRead(), "over the high-water mark: its requests are not read");
        advance(channel, ProtocolLimits.OUTPUT_DRAIN_TIMEOUT.toMillis() - 1);
        assertTrue(channel.isOpen(), "it has until the drain timeout");
        unread.readAll();
        assertTrue(channel.config().isAutoRead(), "drained: read again");
        advance(channel, 1_000); // past the drain deadline it would have had
        assertTrue(channel.isOpen(), "the drain timer went with the pause");
        assertTrue(closes.isEmpty(), closes.toString());
    }

    @Test
    void aPeerThatDoesNotDrainIsClosedAtTheDrainTimeoutWithTheReason() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        UnreadPeer unread = new UnreadPeer();
        List<String> closes = new ArrayList<>();
        Peer peer = authenticated(channel, closes);
        channel.pipeline().addFirst(unread);
        int chunks = ProtocolLimits.WRITE_BUFFER_HIGH_WATER_MARK_BYTES / ProtocolLimits.MAX_CHUNK_DATA_BYTES + 1;
        for (int i = 0; i < chunks; i++) {
            peer.send(chunk());
        }
        advance(channel, ProtocolLimits.OUTPUT_DRAIN_TIMEOUT.toMillis());
        assertFalse(channel.isOpen(), "closed: it did not drain");
        assertEquals(1, closes.size());
        assertTrue(closes.getFirst().contains("still waiting to be sent"), closes.getFirst());
    }

    @Test
    void queuedOutputIsCountedBeforeTheEventLoopRunsTheWritesSoTheCapHolds() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        List<String> reasons = new CopyOnWriteArrayList<>();
        OutboundBudget budget = new OutboundBudget(channel, 1_000, 4_000, 10_000,
                ProtocolLimits.OUTPUT_DRAIN_TIMEOUT, reasons::add);
        for (int i = 0; i < 10; i++) {
            assertTrue(budget.reserve(1_000), "write " + i); // 190 queued chunk writes were never counted before
        }
        assertFalse(budget.reserve(1), "the 10,001st byte passes the cap");
        assertEquals(1, reasons.size());
        assertTrue(reasons.getFirst().contains("would pass the cap of 10000"), reasons.getFirst());
        assertEquals(10_000, budget.queued(), "the refused write was not counted");
        assertTrue(budget.paused());
        budget.release(9_000);
        assertFalse(budget.paused(), "at the low-water mark reading resumes");
        assertTrue(channel.config().isAutoRead());
    }

    // ---- rate-limited handshake log ------------------------------------------------------------------------

    @Test
    void logLinesAreRateLimitedAndSayHowManyWereLeftOut() {
        AtomicLong nanos = new AtomicLong();
        List<String> lines = new ArrayList<>();
        RateLimitedLog log = new RateLimitedLog(lines::add, 3, 1, nanos::get);
        for (int i = 0; i < 10; i++) {
            log.log("line " + i);
        }
        assertEquals(List.of("line 0", "line 1", "line 2"), lines);
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertTrue(log.log("line 10"));
        assertEquals("line 10 (7 similar line(s) left out before this one)", lines.getLast());
        assertFalse(log.log("line 11"));
    }

    @Test
    void handshakeTimeoutsAreLoggedWithTheirReasonAtABoundedRate() {
        AtomicLong nanos = new AtomicLong();
        List<String> lines = new ArrayList<>();
        int burst = 2;
        RateLimitedLog log = new RateLimitedLog(lines::add, burst, 1, nanos::get);
        String reason = "handshake not completed within " + ProtocolLimits.HANDSHAKE_TIMEOUT.toSeconds() + " s";
        for (int i = 0; i < 3 * burst; i++) {
            EmbeddedChannel channel = silentHandshake(log);
            assertTrue(channel.isOpen());
            advance(channel, ProtocolLimits.HANDSHAKE_TIMEOUT.toMillis() + 1);
            assertFalse(channel.isOpen(), "a connection that never says Hello is closed at the handshake timeout");
        }
        assertEquals(burst, lines.size(), "only the burst is logged: " + lines);
        for (String line : lines) {
            assertTrue(line.startsWith("closing ") && line.endsWith(": " + reason), line);
        }
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
        EmbeddedChannel later = silentHandshake(log);
        advance(later, ProtocolLimits.HANDSHAKE_TIMEOUT.toMillis() + 1);
        assertEquals(burst + 1, lines.size(), lines.toString());
        assertTrue(lines.getLast().contains(reason + " (" + (2 * burst) + " similar line(s) left out"), lines.getLast());
    }

    /// A coordinator's session on an in-memory channel to which the peer sends nothing at all (not even a byte, so
    /// the frame deadline never starts: only the handshake timer can close it).
    private static EmbeddedChannel silentHandshake(RateLimitedLog log) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        HearthFrameDecoder decoder = Framing.install(channel.pipeline(), "coordinator",
                ServerSessionHandler.BEFORE_AUTHENTICATION);
        channel.pipeline().addLast(PipelineNames.SESSION, new ServerSessionHandler(new PeerHandler() {
            @Override
            public void onAuthenticated(Peer peer, Hello hello) {
                throw new AssertionError("a silent peer cannot authenticate");
            }

            @Override
            public void onMessage(Peer peer, Envelope envelope) {
                throw new AssertionError("a silent peer sends no message");
            }

            @Override
            public void onClosed(Peer peer, String reason) {
            }
        }, Fingerprints.sha256(new byte[] {42}), decoder, new SecureRandom(), Clock.systemUTC(), log));
        return channel;
    }

    @Test
    void tlsFailuresOverARealSocketAreLoggedAtABoundedRate() throws Exception {
        AtomicLong nanos = new AtomicLong();
        List<String> lines = new CopyOnWriteArrayList<>();
        int burst = 5;
        RateLimitedLog log = new RateLimitedLog(lines::add, burst, 1, nanos::get);
        HearthServer server = HearthServer.start(ServerConfig.loopback(0, CoordinatorCertificate.generate()),
                new PeerHandler() {
                    @Override
                    public void onAuthenticated(Peer peer, Hello hello) {
                    }

                    @Override
                    public void onMessage(Peer peer, Envelope envelope) {
                    }

                    @Override
                    public void onClosed(Peer peer, String reason) {
                    }
                }, log);
        try {
            int flood = 3 * burst;
            for (int i = 0; i < flood; i++) {
                notTls(server.port());
            }
            assertEquals(burst, lines.size(), "only the burst is logged: " + lines);
            for (String line : lines) {
                assertTrue(line.contains("TLS failed") || line.contains("SSL"), line);
            }
            nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
            notTls(server.port());
            assertEquals(burst + 1, lines.size(), lines.toString());
            assertTrue(lines.getLast().contains("(" + (flood - burst) + " similar line(s) left out"), lines.getLast());
        } finally {
            server.close();
        }
    }

    /// Speaks HTTP to the TLS port and waits until the server closes the connection (so its log line is written).
    private static void notTls(int port) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            while (in.read() >= 0) {
                // drain until the server closes
            }
        } catch (java.net.SocketException reset) {
            // the server closed first: as good
        }
    }
}
