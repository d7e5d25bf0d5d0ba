package dev.hearth.protocol.client;

import dev.hearth.protocol.RunAddress;
import dev.hearth.protocol.wire.Hello;
import java.time.Clock;
import java.time.Duration;

/// How a [HearthClient] connects.
///
/// @param address the run address, with the pinned certificate fingerprint
/// @param hello what the node says about itself (client version, backend, device, VRAM, tokens/s); the client
///     sets `node_public_key` and, when left 0, `protocol_version`
/// @param backoff reconnect delays
/// @param clock wall clock for heartbeat timestamps
/// @param connectTimeout TCP connect timeout
public record ClientConfig(RunAddress address, Hello hello, Backoff backoff, Clock clock, Duration connectTimeout) {
    /// 10 s: a coordinator that does not accept TCP within 10 s is down or unreachable; back off and retry.
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    public ClientConfig {
        if (address == null || hello == null || backoff == null || clock == null || connectTimeout == null) {
            throw new IllegalArgumentException("address, hello, backoff, clock and connectTimeout are required");
        }
    }

    public static ClientConfig of(RunAddress address, Hello hello) {
        return new ClientConfig(address, hello, Backoff.standard(), Clock.systemUTC(), DEFAULT_CONNECT_TIMEOUT);
    }

    public ClientConfig withBackoff(Backoff newBackoff) {
        return new ClientConfig(address, hello, newBackoff, clock, connectTimeout);
    }
}
