package dev.hearth.protocol.framing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.hearth.protocol.MessageKind;
import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.SampleMessages;
import dev.hearth.protocol.wire.Chunk;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Heartbeat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FramingTest {

    private static EmbeddedChannel decoderChannel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        Framing.install(channel.pipeline(), "test", EnumSet.allOf(MessageKind.class));
        return channel;
    }

    private static ByteBuf frame(int length, int tag, byte[] body) {
        ByteBuf buf = Unpooled.buffer();
        buf.writeInt(length);
        buf.writeByte(tag);
        buf.writeBytes(body);
        return buf;
    }

    private static ByteBuf encode(Envelope envelope) throws IOException {
        ByteBuf buf = Unpooled.buffer();
        EnvelopeEncoder.encode(envelope, buf);
        return buf;
    }

    @Test
    void everyMessageKindRoundTripsThroughEncoderAndDecoder() {
        Map<MessageKind, Envelope> samples = SampleMessages.all();
        assertEquals(MessageKind.values().length, samples.size(), "a sample for every kind");
        for (Envelope sample : samples.values()) {
            EmbeddedChannel out = decoderChannel();
            assertTrue(out.writeOutbound(sample));
            EmbeddedChannel in = decoderChannel();
            ByteBuf bytes;
            while ((bytes = out.readOutbound()) != null) {
                in.writeInbound(bytes);
            }
            Envelope decoded = in.readInbound();
            assertEquals(sample, decoded, "round trip of " + MessageKind.of(sample));
            assertNull(in.readInbound());
        }
    }

    @Test
    void decodesFramesSplitAcrossReadsAndSeveralFramesInOneRead() throws IOException {
        Envelope a = SampleMessages.all().get(MessageKind.ROUND_START);
        Envelope b = SampleMessages.all().get(MessageKind.HEARTBEAT);
        ByteBuf both = Unpooled.wrappedBuffer(encode(a), encode(b));
        EmbeddedChannel in = decoderChannel();
        in.writeInbound(both.readRetainedSlice(3));
        assertNull(in.readInbound());
        in.writeInbound(both);
        assertEquals(a, in.readInbound());
        assertEquals(b, in.readInbound());
    }

    @Test
    void rejectsFrameOverItsKindLimitFromTheHeaderAlone() {
        EmbeddedChannel in = decoderChannel();
        // only the 5-byte header: the decoder must refuse before the 64 KiB + 1 body arrives
        ByteBuf header = frame(ProtocolLimits.MAX_CONTROL_FRAME_BYTES + 1, MessageKind.HEARTBEAT.tag(), new byte[0]);
        FrameTooLargeException e = assertThrows(FrameTooLargeException.class, () -> in.writeInbound(header));
        assertTrue(e.getMessage().contains("HEARTBEAT"), e.getMessage());
    }

    @Test
    void headerAtExactlyTheLargestKindLimitIsAccepted() {
        // regression (found by Jazzer): Netty's own maximum counts the 4-byte length field
        EmbeddedChannel in = decoderChannel();
        in.writeInbound(frame(ProtocolLimits.MAX_ROUND_COMMIT_FRAME_BYTES, MessageKind.ROUND_COMMIT.tag(),
                new byte[16]));
        assertNull(in.readInbound(), "waits for the rest of the body instead of failing");
        assertTrue(in.isOpen());
    }

    @Test
    void acceptsLargeFrameUpToItsOwnKindLimit() throws IOException {
        Envelope chunk = Envelope.newBuilder().setChunk(Chunk.newBuilder().setVersion(1).setIndex(0)
                .setData(ByteString.copyFrom(new byte[ProtocolLimits.MAX_CHUNK_DATA_BYTES]))).build();
        EmbeddedChannel in = decoderChannel();
        in.writeInbound(encode(chunk));
        assertEquals(chunk, in.readInbound());
    }

    @Test
    void rejectsChunkDataOverTheChunkLimitEvenInsideTheFrameLimit() throws IOException {
        Envelope chunk = Envelope.newBuilder().setChunk(Chunk.newBuilder()
                .setData(ByteString.copyFrom(new byte[ProtocolLimits.MAX_CHUNK_DATA_BYTES + 100]))).build();
        EmbeddedChannel in = decoderChannel();
        ByteBuf buf = Unpooled.buffer();
        EnvelopeEncoder.encode(chunk, buf);
        MalformedFrameException e = assertThrows(MalformedFrameException.class, () -> in.writeInbound(buf));
        assertTrue(e.getMessage().contains("chunk limit"), e.getMessage());
    }

    @Test
    void encoderRefusesEnvelopeOverItsKindLimit() {
        Envelope tooBig = Envelope.newBuilder().setChunk(Chunk.newBuilder()
                .setData(ByteString.copyFrom(new byte[ProtocolLimits.MAX_CHUNK_FRAME_BYTES]))).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EnvelopeEncoder.checkedFrameLength(tooBig));
        assertTrue(e.getMessage().contains("CHUNK"), e.getMessage());
    }

    @Test
    void rejectsUnknownKindTag() {
        EmbeddedChannel in = decoderChannel();
        assertThrows(MalformedFrameException.class, () -> in.writeInbound(frame(3, 99, new byte[] {1, 2})));
    }

    @Test
    void rejectsKindNotAllowedAtThisPoint() {
        EmbeddedChannel in = new EmbeddedChannel();
        Framing.install(in.pipeline(), "coordinator", EnumSet.of(MessageKind.HELLO));
        ByteBuf roundCommitHeader = frame(10, MessageKind.ROUND_COMMIT.tag(), new byte[0]);
        MalformedFrameException e = assertThrows(MalformedFrameException.class,
                () -> in.writeInbound(roundCommitHeader));
        assertTrue(e.getMessage().contains("ROUND_COMMIT"), e.getMessage());
    }

    @Test
    void rejectsZeroLengthFrame() {
        EmbeddedChannel in = decoderChannel();
        assertThrows(MalformedFrameException.class, () -> in.writeInbound(frame(0, 16, new byte[0])));
    }

    @Test
    void rejectsTrailingBytesAfterTheMessage() throws IOException {
        byte[] body = SampleMessages.all().get(MessageKind.HEARTBEAT).toByteArray();
        byte[] withTrailing = new byte[body.length + 3];
        System.arraycopy(body, 0, withTrailing, 0, body.length);
        withTrailing[body.length] = (byte) 0xC8; // field 25, varint: a well-formed unknown field
        withTrailing[body.length + 1] = 0x01;
        withTrailing[body.length + 2] = 0x05;
        EmbeddedChannel in = decoderChannel();
        MalformedFrameException e = assertThrows(MalformedFrameException.class, () -> in.writeInbound(
                frame(1 + withTrailing.length, MessageKind.HEARTBEAT.tag(), withTrailing)));
        assertTrue(e.getMessage().contains("trailing"), e.getMessage());
    }

    @Test
    void rejectsTruncatedBody() {
        byte[] body = SampleMessages.all().get(MessageKind.WELCOME).toByteArray();
        byte[] cut = java.util.Arrays.copyOf(body, body.length - 5);
        EmbeddedChannel in = decoderChannel();
        assertThrows(MalformedFrameException.class,
                () -> in.writeInbound(frame(1 + cut.length, MessageKind.WELCOME.tag(), cut)));
    }

    @Test
    void truncatedStreamYieldsNoMessage() throws IOException {
        ByteBuf full = encode(SampleMessages.all().get(MessageKind.WELCOME));
        EmbeddedChannel in = decoderChannel();
        in.writeInbound(full.readRetainedSlice(full.readableBytes() - 1));
        assertNull(in.readInbound());
        in.finish();
        assertNull(in.readInbound());
        full.release();
    }

    @Test
    void rejectsGarbage() {
        byte[] garbage = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
        EmbeddedChannel in = decoderChannel();
        assertThrows(MalformedFrameException.class,
                () -> in.writeInbound(frame(1 + garbage.length, MessageKind.HEARTBEAT.tag(), garbage)));
    }

    @Test
    void rejectsKindTagThatDisagreesWithTheBody() {
        byte[] heartbeat = SampleMessages.all().get(MessageKind.HEARTBEAT).toByteArray();
        EmbeddedChannel in = decoderChannel();
        MalformedFrameException e = assertThrows(MalformedFrameException.class,
                () -> in.writeInbound(frame(1 + heartbeat.length, MessageKind.LEAVE.tag(), heartbeat)));
        assertTrue(e.getMessage().contains("HEARTBEAT"), e.getMessage());
    }

    @Test
    void rejectsEmptyEnvelope() {
        EmbeddedChannel in = decoderChannel();
        assertThrows(MalformedFrameException.class,
                () -> in.writeInbound(frame(1, MessageKind.HEARTBEAT.tag(), new byte[0])));
    }

    @Test
    void discardsInputAfterTheFirstError() throws IOException {
        EmbeddedChannel in = decoderChannel();
        assertThrows(MalformedFrameException.class, () -> in.writeInbound(frame(3, 99, new byte[] {1, 2})));
        in.writeInbound(encode(Envelope.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance()).build()));
        assertNull(in.readInbound(), "nothing is decoded from a stream that already failed");
    }
}
