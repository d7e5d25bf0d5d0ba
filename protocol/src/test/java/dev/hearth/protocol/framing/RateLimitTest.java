package dev.hearth.protocol.framing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.protocol.ProtocolViolationException;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Heartbeat;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimitTest {

    @Test
    void bucketAllowsBurstThenRefillsAtTheRate() {
        AtomicLong now = new AtomicLong();
        TokenBucket bucket = new TokenBucket(3, 10, now::get);
        assertTrue(bucket.tryAcquire());
        assertTrue(bucket.tryAcquire());
        assertTrue(bucket.tryAcquire());
        assertFalse(bucket.tryAcquire());
        now.addAndGet(100_000_000L); // 100 ms at 10/s = one token
        assertTrue(bucket.tryAcquire());
        assertFalse(bucket.tryAcquire());
        now.addAndGet(10_000_000_000L); // long pause: refills only up to capacity
        int granted = 0;
        while (bucket.tryAcquire()) {
            granted++;
        }
        assertEquals(3, granted);
    }

    @Test
    void handlerFailsTheConnectionOverTheRate() {
        AtomicLong now = new AtomicLong();
        EmbeddedChannel channel = new EmbeddedChannel(new RateLimitHandler(2, 1, now::get));
        Envelope heartbeat = Envelope.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance()).build();
        channel.writeInbound(heartbeat);
        channel.writeInbound(heartbeat);
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class,
                () -> channel.writeInbound(heartbeat));
        assertTrue(e.getMessage().contains("messages per second"), e.getMessage());
        assertEquals(2, channel.inboundMessages().size());
    }
}
