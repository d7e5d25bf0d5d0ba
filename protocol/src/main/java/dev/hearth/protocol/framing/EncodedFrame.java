package dev.hearth.protocol.framing;

import dev.hearth.protocol.MessageKind;
import dev.hearth.protocol.wire.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;

/// An envelope encoded once as a complete frame, for sending the same message to many peers: broadcasting a
/// 16 MiB `RoundCommit` to a hundred nodes then serializes it once, not a hundred times, and the peers' outbound
/// queues share one byte array. Immutable and thread-safe.
public final class EncodedFrame {
    private final MessageKind kind;
    private final byte[] bytes;

    private EncodedFrame(MessageKind kind, byte[] bytes) {
        this.kind = kind;
        this.bytes = bytes;
    }

    /// @throws IllegalArgumentException when the envelope is empty or exceeds its kind's frame limit
    public static EncodedFrame of(Envelope envelope) {
        int frameLength = EnvelopeEncoder.checkedFrameLength(envelope);
        ByteBuf buf = Unpooled.buffer(4 + frameLength);
        try {
            EnvelopeEncoder.encode(envelope, buf);
        } catch (IOException e) {
            throw new IllegalStateException("encoding into memory cannot fail", e);
        }
        return new EncodedFrame(MessageKind.of(envelope), buf.array());
    }

    public MessageKind kind() {
        return kind;
    }

    /// Bytes on the wire (length prefix + kind tag + body).
    public int sizeBytes() {
        return bytes.length;
    }

    /// A fresh read-only view for one channel write (shares the bytes).
    public ByteBuf newBuffer() {
        return Unpooled.wrappedBuffer(bytes).asReadOnly();
    }
}
