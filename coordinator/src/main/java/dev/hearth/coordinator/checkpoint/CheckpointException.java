package dev.hearth.coordinator.checkpoint;

/// A checkpoint could not be written, or a file is not a valid checkpoint; the message names the file,
/// what is wrong with it and what to do.
public final class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
