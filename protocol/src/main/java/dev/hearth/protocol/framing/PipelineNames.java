package dev.hearth.protocol.framing;

/// Names of the Netty pipeline stages of a Hearth connection, in pipeline order.
public final class PipelineNames {
    /// TLS 1.3 (`SslHandler`).
    public static final String TLS = "tls";
    /// Read-idle and write-idle timer (`IdleStateHandler`).
    public static final String IDLE = "idle";
    /// Length prefix + per-kind size limit ([HearthFrameDecoder]).
    public static final String FRAME_DECODER = "frameDecoder";
    /// Kind tag + protobuf body → `Envelope` ([EnvelopeDecoder]).
    public static final String ENVELOPE_DECODER = "envelopeDecoder";
    /// `Envelope` → length + kind tag + body ([EnvelopeEncoder]).
    public static final String ENVELOPE_ENCODER = "envelopeEncoder";
    /// Per-connection inbound message-rate limit ([RateLimitHandler]).
    public static final String RATE_LIMIT = "rateLimit";
    /// Handshake, heartbeats and hand-off to the application (`server.ServerSessionHandler` or
    /// `client.ClientSessionHandler`).
    public static final String SESSION = "session";

    private PipelineNames() {
    }
}
