package dev.hearth.protocol.client;

import java.time.Duration;
import java.util.Optional;

/// Why a [HearthClient] lost (or never got) its session, and whether it will try again.
///
/// @param reason a sentence a person can read (the coordinator's `Reject` reason when rejected)
/// @param rejected the coordinator refused the node with `Reject`
/// @param reconnectIn when the client reconnects; empty when it gave up (closed, version mismatch,
///     fingerprint mismatch, or a `Reject` without retry)
public record Disconnect(String reason, boolean rejected, Optional<Duration> reconnectIn) {
}
