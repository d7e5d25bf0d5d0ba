package dev.hearth.protocol.server;

import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.framing.EncodedFrame;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Hello;
import java.net.SocketAddress;

/// An authenticated node as the coordinator sees it: one TLS connection whose holder proved it owns the
/// Ed25519 key of its `Hello`. Every method is thread-safe and non-blocking.
public interface Peer {
    /// Lower-case hex SHA-256 of the node's public key.
    String nodeId();

    /// The node's Ed25519 public key (X.509 encoding), for verifying its update signatures.
    byte[] publicKey();

    /// The `Hello` the node introduced itself with (device, backend, VRAM, tokens/s, client version).
    Hello hello();

    SocketAddress remoteAddress();

    /// Queues `envelope` for sending. Returns `false` (and sends nothing) when the connection is closed.
    /// When the peer has let more than [ProtocolLimits#MAX_PENDING_OUTBOUND_BYTES] pile up, it is closed as too
    /// slow and this returns `false`.
    ///
    /// @throws IllegalArgumentException when the envelope is empty or exceeds its kind's frame limit
    boolean send(Envelope envelope);

    /// Queues a frame encoded once with [EncodedFrame#of] (broadcasts); otherwise like [#send(Envelope)].
    boolean send(EncodedFrame frame);

    /// `false` while more than [ProtocolLimits#WRITE_BUFFER_HIGH_WATER_MARK_BYTES] wait to be sent; bulk senders
    /// (chunks, batches) should hold back until it is `true` again (see [PeerHandler#onWritabilityChanged]).
    boolean isWritable();

    boolean isOpen();

    /// Sends `Reject{reason, retryAfterSeconds}` and closes the connection.
    void reject(String reason, int retryAfterSeconds);

    /// Sends `Leave{reason}` and closes the connection.
    void close(String reason);
}
