package dev.hearth.protocol;

/// A well-formed message that breaks the conversation: out of order, repeated, over the rate limit,
/// or failing its signature. The connection is closed with this message as the reason.
public class ProtocolViolationException extends RuntimeException {
    public ProtocolViolationException(String message) {
        super(message);
    }
}
