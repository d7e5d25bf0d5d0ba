package dev.hearth.protocol.framing;

import io.netty.handler.codec.CorruptedFrameException;

/// A frame that breaks the wire format: unknown kind, kind not allowed now, truncated or garbage body,
/// trailing bytes, or a kind tag that disagrees with the body. The connection that sent it is closed.
public final class MalformedFrameException extends CorruptedFrameException {
    public MalformedFrameException(String message) {
        super(message);
    }

    public MalformedFrameException(String message, Throwable cause) {
        super(message, cause);
    }
}
