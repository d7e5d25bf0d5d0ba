package dev.hearth.coordinator.storage;

/// Object storage refused or failed a request; the message names the bucket and key.
public final class StorageException extends RuntimeException {
    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
