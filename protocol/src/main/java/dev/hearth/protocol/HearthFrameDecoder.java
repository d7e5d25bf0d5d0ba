package dev.hearth.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.util.EnumSet;
import java.util.Set;

/// Splits the byte stream into frames: a 4-byte big-endian length, then that many bytes, the first of which is
/// the [MessageKind] tag. Emits the frame without the length (kind tag + protobuf body).
///
/// The 5-byte header is inspected before the body is buffered: an unknown kind, a kind the receiver may not get
/// at this point of the conversation, or a length over the kind's maximum fails at once, so a peer cannot make
/// us allocate more than its declared kind allows (and before authentication, more than a control frame).
/// After the first error the rest of the input is discarded; the session handler closes the connection.
public final class HearthFrameDecoder extends LengthFieldBasedFrameDecoder {

    private static final int LENGTH_FIELD_BYTES = 4;

    private final String receiver;
    private volatile Set<MessageKind> allowed;
    private boolean failed;

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
            return null;
        }
        try {
            checkHeader(in.getInt(in.readerIndex()), in.getUnsignedByte(in.readerIndex() + LENGTH_FIELD_BYTES));
            return super.decode(ctx, in);
        } catch (Exception e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
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
