package dev.hearth.protocol.framing;

import com.google.protobuf.DiscardUnknownFieldsParser;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import dev.hearth.protocol.MessageKind;
import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.wire.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.util.List;

/// Turns a frame (kind tag + protobuf body, from [HearthFrameDecoder]) into an `Envelope`.
///
/// Strict on purpose: the body must parse, carry exactly the message its kind tag names, and be the canonical
/// encoding of that message, byte for byte. That rejects trailing bytes, unknown fields and duplicated fields,
/// which an honest Hearth peer never sends and which could otherwise smuggle data past the size checks.
public final class EnvelopeDecoder extends MessageToMessageDecoder<ByteBuf> {

    private static final Parser<Envelope> PARSER = DiscardUnknownFieldsParser.wrap(Envelope.parser());

    public EnvelopeDecoder() {
        super(ByteBuf.class);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
        out.add(decode(frame));
    }

    /// Decodes one frame (kind tag + body); visible for tests and fuzzing.
    ///
    /// @throws MalformedFrameException when the frame is not a valid, canonical envelope of its kind
    public static Envelope decode(ByteBuf frame) {
        if (!frame.isReadable()) {
            throw new MalformedFrameException("empty frame: no kind tag");
        }
        int tag = frame.readUnsignedByte();
        MessageKind kind = MessageKind.forTag(tag);
        if (kind == null) {
            throw new MalformedFrameException("unknown message kind tag " + tag);
        }
        int bodyBytes = frame.readableBytes();
        int bodyStart = frame.readerIndex();
        Envelope envelope;
        try {
            envelope = PARSER.parseFrom(frame.nioBuffer());
        } catch (InvalidProtocolBufferException e) {
            throw new MalformedFrameException(kind + " body is not a valid protobuf message: " + e.getMessage(), e);
        }
        frame.skipBytes(bodyBytes);
        if (envelope.getPayloadCase() != kind.payloadCase()) {
            throw new MalformedFrameException("kind tag says " + kind + " but the body holds "
                    + envelope.getPayloadCase());
        }
        if (envelope.hasChunk() && envelope.getChunk().getData().size() > ProtocolLimits.MAX_CHUNK_DATA_BYTES) {
            throw new MalformedFrameException("chunk carries " + envelope.getChunk().getData().size()
                    + " bytes, more than the " + ProtocolLimits.MAX_CHUNK_DATA_BYTES + "-byte chunk limit");
        }
        int canonical = envelope.getSerializedSize();
        if (canonical != bodyBytes) {
            throw new MalformedFrameException(kind + " body has " + bodyBytes + " bytes but its message encodes to "
                    + canonical + " (trailing bytes, unknown or repeated fields)");
        }
        // Same size is not yet the same bytes: fields out of order or a value in a longer varint form parse too.
        if (!ByteBufUtil.equals(frame, bodyStart, Unpooled.wrappedBuffer(envelope.toByteArray()), 0, bodyBytes)) {
            throw new MalformedFrameException(kind + " body is not the canonical encoding of its message (fields out"
                    + " of order or non-minimal varints)");
        }
        return envelope;
    }
}
