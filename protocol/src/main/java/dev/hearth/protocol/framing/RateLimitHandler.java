package dev.hearth.protocol.framing;

import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.ProtocolViolationException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.function.LongSupplier;

/// Limits inbound messages per connection with a [TokenBucket] ([ProtocolLimits#MESSAGE_RATE_PER_SECOND],
/// burst [ProtocolLimits#MESSAGE_RATE_BURST]); a peer over the limit gets a [ProtocolViolationException] and
/// is disconnected, which costs an honest node nothing but stops a flood before it reaches the application.
public final class RateLimitHandler extends ChannelInboundHandlerAdapter {
    private final TokenBucket bucket;
    private final int ratePerSecond;

    public RateLimitHandler(int burst, int ratePerSecond, LongSupplier nanoClock) {
        this.bucket = new TokenBucket(burst, ratePerSecond, nanoClock);
        this.ratePerSecond = ratePerSecond;
    }

    public RateLimitHandler() {
        this(ProtocolLimits.MESSAGE_RATE_BURST, ProtocolLimits.MESSAGE_RATE_PER_SECOND, System::nanoTime);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (bucket.tryAcquire()) {
            ctx.fireChannelRead(msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.fireExceptionCaught(new ProtocolViolationException(
                    "more than " + ratePerSecond + " messages per second"));
        }
    }
}
