package dev.hearth.coordinator.ledger;

/// The ledger could not be opened or written; the message says which file and what to do.
public final class LedgerException extends RuntimeException {
    public LedgerException(String message, Throwable cause) {
        super(message, cause);
    }

    public LedgerException(String message) {
        super(message);
    }
}
