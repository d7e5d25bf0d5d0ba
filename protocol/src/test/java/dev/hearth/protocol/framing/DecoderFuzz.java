package dev.hearth.protocol.framing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.protocol.MessageKind;
import dev.hearth.protocol.wire.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/// The fuzz oracle shared by the seeded mutation test and the Jazzer target: feed arbitrary bytes to the
/// decoding pipeline; the only failure allowed is a typed decoder rejection, and anything that does decode must
/// re-encode to exactly the bytes it came from (canonical form: no hidden trailing data).
final class DecoderFuzz {
    private DecoderFuzz() {
    }

    /// @return how many envelopes decoded
    static int check(byte[] input) {
        List<Envelope> envelopes = new ArrayList<>();
        List<Throwable> untyped = new ArrayList<>();
        // like the session handlers: collect messages, close on the first error
        EmbeddedChannel channel = new EmbeddedChannel(
                new HearthFrameDecoder("fuzz", EnumSet.allOf(MessageKind.class)), new EnvelopeDecoder(),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        envelopes.add((Envelope) msg);
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        if (!(cause instanceof MalformedFrameException || cause instanceof FrameTooLargeException)) {
                            untyped.add(cause); // thrown below: Netty would swallow an exception thrown here
                        }
                        ctx.close();
                    }
                });
        int decoded = 0;
        int consumed = 0;
        channel.writeInbound(Unpooled.wrappedBuffer(input));
        if (!untyped.isEmpty()) {
            throw new AssertionError("untyped decoder failure on " + ByteBufUtil.hexDump(input, 0,
                    Math.min(64, input.length)), untyped.getFirst());
        }
        for (Envelope envelope : envelopes) {
            decoded++;
            ByteBuf reencoded = Unpooled.buffer();
            try {
                EnvelopeEncoder.encode(envelope, reencoded);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            byte[] bytes = ByteBufUtil.getBytes(reencoded);
            assertTrue(consumed + bytes.length <= input.length, "decoded more than the input held");
            byte[] original = java.util.Arrays.copyOfRange(input, consumed, consumed + bytes.length);
            assertArrayEquals(original, bytes, "a decoded frame must re-encode to its own bytes");
            consumed += bytes.length;
        }
        channel.finishAndReleaseAll();
        return decoded;
    }
}
