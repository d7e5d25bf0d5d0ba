package dev.hearth.node.worker;

/// What the trainer did with a commit the node sent it ({@link Worker#applyCommit}).
///
/// @param version the version the trainer now holds (applied), or the commit's new version (refused; -1 when the
///                frame could not be read)
/// @param applied whether the trainer applied the step and reached the commit's SHA-256: then the next round at
///                `version` needs no parameters file
/// @param sha256  the digest of the trainer's parameters after applying (applied), else empty
/// @param reason  why the trainer refused (empty when applied): it then wants the full parameters file
public record CommitOutcome(long version, boolean applied, byte[] sha256, String reason) {

    static CommitOutcome applied(long version, byte[] sha256) {
        return new CommitOutcome(version, true, sha256, "");
    }

    static CommitOutcome refused(long version, String reason) {
        return new CommitOutcome(version, false, new byte[0], reason);
    }
}
