package dev.hearth.protocol.identity;

import java.nio.file.Path;

/// A key or certificate file that cannot be used, with the file and what the owner can do about it.
public final class IdentityFileException extends RuntimeException {
    private final Path file;

    public IdentityFileException(Path file, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
