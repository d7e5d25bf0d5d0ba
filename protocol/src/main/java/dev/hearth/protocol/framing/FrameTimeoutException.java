package dev.hearth.protocol.framing;

import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.ProtocolViolationException;

/// A frame that started but did not finish within its deadline ([ProtocolLimits#frameDeadline]): the peer is
/// stalling or dribbling bytes to hold a buffer open.
public final class FrameTimeoutException extends ProtocolViolationException {
    public FrameTimeoutException(String message) {
        super(message);
    }
}
