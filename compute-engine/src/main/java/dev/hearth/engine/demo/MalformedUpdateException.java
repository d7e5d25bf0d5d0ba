package dev.hearth.engine.demo;

/// An encoded update or packed sign vector that cannot be accepted; the message names the problem (which size,
/// which tensor, which index) so that a rejection receipt can carry it to the node's owner.
public final class MalformedUpdateException extends Exception {

    public MalformedUpdateException(String message) {
        super(message);
    }

    public MalformedUpdateException(String message, Throwable cause) {
        super(message, cause);
    }
}
