package dev.hearth.engine.checkpoint;

import java.io.IOException;

/// A checkpoint file is truncated, corrupted, from another format version, or not a Hearth checkpoint.
public final class CheckpointFormatException extends IOException {
    public CheckpointFormatException(String message) {
        super(message);
    }
}
