package dev.hearth.protocol.framing;

import dev.hearth.protocol.MessageKind;
import dev.hearth.protocol.wire.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import java.io.IOException;

/// Writes an `Envelope` as one frame: 4-byte length, 1-byte kind tag, protobuf body. Refuses an envelope over its
/// kind's limit, so a coordinator bug shows up at the sender instead of as a dropped node.
@ChannelHandler.Sharable
public final class EnvelopeEncoder extends MessageToByteEncoder<Envelope> {

    public EnvelopeEncoder() {
        super(Envelope.class);
    }

    /// Checks that an envelope carries a message and fits its kind's frame limit.
    ///
    /// @return the frame length (kind tag + body) in bytes
    /// @throws IllegalArgumentException naming the kind, the size and the limit
    public static int checkedFrameLength(Envelope envelope) {
        MessageKind kind = MessageKind.of(envelope);
        int frameLength = 1 + envelope.getSerializedSize();
        if (frameLength > kind.maxFrameBytes()) {
            throw new IllegalArgumentException(kind + " of " + frameLength + " bytes exceeds its frame limit of "
                    + kind.maxFrameBytes() + " bytes");
        }
        return frameLength;
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Envelope envelope, boolean preferDirect) {
        int frameLength = checkedFrameLength(envelope);
        return preferDirect
                ? ctx.alloc().ioBuffer(4 + frameLength)
                : ctx.alloc().heapBuffer(4 + frameLength);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Envelope envelope, ByteBuf out) throws IOException {
        encode(envelope, out);
    }

    /// Appends one frame to `out`; visible for tests.
    public static void encode(Envelope envelope, ByteBuf out) throws IOException {
        int frameLength = checkedFrameLength(envelope);
        out.writeInt(frameLength);
        out.writeByte(MessageKind.of(envelope).tag());
        try (ByteBufOutputStream stream = new ByteBufOutputStream(out)) {
            envelope.writeTo(stream);
        }
    }
}
