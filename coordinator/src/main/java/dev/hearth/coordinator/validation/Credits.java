package dev.hearth.coordinator.validation;

/// How a contribution is credited: one credit per token trained in an update that went into a committed
/// version. Tokens measure the GPU work actually done and do not depend on the hardware, the model size or
/// the codec settings; a rejected, dropped, rolled-back or quarantined update earns 0.
/// The ledger stores the result per node per round ({@code Ledger#commitRound}).
public final class Credits {

    private Credits() {
    }

    /// Credits for one update.
    ///
    /// @param tokens      tokens the node trained (capped by what it was assigned, see `RunStateMachine`)
    /// @param committed   the update went into a committed version
    /// @param quarantined the node is quarantined
    public static long forUpdate(long tokens, boolean committed, boolean quarantined) {
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens must be >= 0, got " + tokens);
        }
        return committed && !quarantined ? tokens : 0;
    }
}
