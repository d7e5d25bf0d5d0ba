package dev.hearth.engine.cuda;

/// `cuMemGetInfo`: the card's free and total memory, as the driver sees it now (other processes — the owner's
/// desktop, games — included).
///
/// @param freeBytes  memory not allocated by anyone
/// @param totalBytes the card's memory
public record MemInfo(long freeBytes, long totalBytes) {

    /// Memory allocated by anyone (this process included).
    public long usedBytes() {
        return totalBytes - freeBytes;
    }
}
