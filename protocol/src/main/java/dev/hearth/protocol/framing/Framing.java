package dev.hearth.protocol.framing;

import dev.hearth.protocol.MessageKind;
import dev.hearth.protocol.ProtocolLimits;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/// Installs the framing stages shared by server and client, in order: idle timer, frame decoder, envelope
/// decoder, envelope encoder, rate limit. The TLS stage (if any) goes before, the session handler after.
public final class Framing {
    private Framing() {
    }

    /// @param receiver "coordinator" or "node", for error messages
    /// @param initiallyAllowed kinds accepted before authentication widens the set
    /// @return the frame decoder, so the session handler can widen its accepted kinds
    public static HearthFrameDecoder install(ChannelPipeline pipeline, String receiver,
                                             Set<MessageKind> initiallyAllowed) {
        HearthFrameDecoder frameDecoder = new HearthFrameDecoder(receiver, initiallyAllowed);
        pipeline.addLast(PipelineNames.IDLE, new IdleStateHandler(
                ProtocolLimits.READ_IDLE_TIMEOUT.toMillis(), ProtocolLimits.HEARTBEAT_INTERVAL.toMillis(), 0,
                TimeUnit.MILLISECONDS));
        pipeline.addLast(PipelineNames.FRAME_DECODER, frameDecoder);
        pipeline.addLast(PipelineNames.ENVELOPE_DECODER, new EnvelopeDecoder());
        pipeline.addLast(PipelineNames.ENVELOPE_ENCODER, new EnvelopeEncoder());
        pipeline.addLast(PipelineNames.RATE_LIMIT, new RateLimitHandler());
        return frameDecoder;
    }
}
