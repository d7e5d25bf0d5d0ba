package dev.hearth.protocol.framing;

import dev.hearth.protocol.MessageKind;
import dev.hearth.protocol.ProtocolLimits;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/// Splits the byte stream into frames: a 4-byte big-endian length, then that many bytes, the first of which is
/// the [MessageKind] tag. Emits the frame without the length (kind tag + protobuf body).
///
/// The 5-byte header is inspected before the body is buffered: an unknown kind, a kind the receiver may not get
/// at this point of the conversation, or a length over the kind's maximum fails at once, so a peer cannot make
/// us allocate more than its declared kind allows (and before authentication, more than a control frame).
/// After the first error the rest of the input is discarded; the session handler closes the connection.
///
/// Bounded in time as well: once a frame's first byte has arrived, the frame must be complete within
/// [ProtocolLimits#frameDeadline] of its declared length (of the header's 5 bytes while the header is incomplete),
/// measured on the channel's event-loop ticker; otherwise a [FrameTimeoutException] goes down the pipeline and the
/// session handler closes the connection with it as the reason.
public final class HearthFrameDecoder extends LengthFieldBasedFrameDecoder {

    private static final int LENGTH_FIELD_BYTES = 4;

    private final String receiver;
    private volatile Set<MessageKind> allowed;
    private boolean failed;
    // the frame being received (event loop only): when its first byte came, its size, and its timer
    private long frameStartNanos;
    private long frameBytes = -1;
    private ScheduledFuture<?> frameTimer;

    /// @param receiver who decodes, for error messages ("coordinator" or "node")
    /// @param allowed the kinds accepted until [#allow] widens the set
    public HearthFrameDecoder(String receiver, Set<MessageKind> allowed) {
        // Netty's maximum counts the length field too; the per-kind checks in checkHeader are the real limits
        super(LENGTH_FIELD_BYTES + ProtocolLimits.MAX_FRAME_BYTES, 0, LENGTH_FIELD_BYTES, 0, LENGTH_FIELD_BYTES, true);
        this.receiver = receiver;
        this.allowed = EnumSet.copyOf(allowed);
    }

    /// Replaces the set of accepted kinds (e.g. after authentication). Safe from any thread.
    public void allow(Set<MessageKind> kinds) {
        this.allowed = EnumSet.copyOf(kinds);
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        if (failed || !ctx.channel().isActive()) { // nothing more is read from a failed or closing stream
            in.skipBytes(in.readableBytes());
            return null;
        }
        if (in.readableBytes() < ProtocolLimits.FRAME_HEADER_BYTES) {
            awaitRestOfFrame(ctx, ProtocolLimits.FRAME_HEADER_BYTES);
            return null;
        }
        try {
            int length = in.getInt(in.readerIndex());
            checkHeader(length, in.getUnsignedByte(in.readerIndex() + LENGTH_FIELD_BYTES));
            Object frame = super.decode(ctx, in);
            if (frame == null) {
                awaitRestOfFrame(ctx, LENGTH_FIELD_BYTES + (long) length);
            } else {
                frameDone();
            }
            return frame;
        } catch (Exception e) {
            failed = true;
            frameDone();
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    /// Part of a frame of `bytes` (length prefix included) is buffered: makes sure a timer runs for it, counted
    /// from the frame's first byte (a header that completes later moves the deadline, not the start).
    private void awaitRestOfFrame(ChannelHandlerContext ctx, long bytes) {
        if (frameBytes == bytes && frameTimer != null) {
            return;
        }
        long now = ctx.executor().ticker().nanoTime();
        if (frameBytes < 0) {
            frameStartNanos = now;
        }
        frameBytes = bytes;
        if (frameTimer != null) {
            frameTimer.cancel(false);
        }
        Duration allowed = ProtocolLimits.frameDeadline(bytes);
        long left = Math.max(0, frameStartNanos + allowed.toNanos() - now);
        frameTimer = ctx.executor().schedule(() -> frameTimedOut(ctx, allowed), left, TimeUnit.NANOSECONDS);
    }

    private void frameTimedOut(ChannelHandlerContext ctx, Duration allowed) {
        if (failed || frameBytes < 0 || !ctx.channel().isActive()) {
            return;
        }
        failed = true;
        int buffered = internalBuffer().readableBytes();
        long declared = frameBytes;
        frameDone();
        ctx.fireExceptionCaught(new FrameTimeoutException("a frame of " + declared + " bytes was not complete "
                + allowed.toSeconds() + " s after its first byte (" + buffered + " bytes arrived; the minimum rate is "
                + ProtocolLimits.MIN_FRAME_RATE_BYTES_PER_SECOND + " bytes/s)"));
    }

    private void frameDone() {
        frameBytes = -1;
        if (frameTimer != null) {
            frameTimer.cancel(false);
            frameTimer = null;
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
        frameDone();
        super.handlerRemoved0(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        frameDone();
        super.channelInactive(ctx);
    }

    private void checkHeader(int length, int tag) {
        MessageKind kind = MessageKind.forTag(tag);
        if (kind == null) {
            throw new MalformedFrameException("unknown message kind tag " + tag + " (garbage or a newer protocol)");
        }
        if (length < 1) {
            throw new MalformedFrameException("frame length " + length + " is shorter than its kind tag");
        }
        if (length > kind.maxFrameBytes()) {
            throw new FrameTooLargeException(kind + " frame of " + length + " bytes exceeds its limit of "
                    + kind.maxFrameBytes() + " bytes");
        }
        if (!allowed.contains(kind)) {
            throw new MalformedFrameException(kind + " is not accepted by the " + receiver + " at this point");
        }
    }
}
