package dev.hearth.protocol.framing;

import io.netty.handler.codec.TooLongFrameException;

/// A frame whose declared length exceeds the maximum of its message kind; raised from the header alone,
/// before any of the body is buffered.
public final class FrameTooLargeException extends TooLongFrameException {
    public FrameTooLargeException(String message) {
        super(message);
    }
}
