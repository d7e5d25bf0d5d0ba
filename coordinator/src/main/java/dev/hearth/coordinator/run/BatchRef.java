package dev.hearth.coordinator.run;

/// One training window handed out in one pass over the corpus.
///
/// The wire only carries `id` (the node turns it into a window of the corpus); `epoch` stays on the
/// coordinator so the ledger can prove that, within each pass, every id is committed exactly once.
///
/// @param epoch the pass over the corpus this id was drawn in, from 0
/// @param id    the window index in `[0, trainWindows)`
public record BatchRef(int epoch, long id) {
    public BatchRef {
        if (epoch < 0 || id < 0) {
            throw new IllegalArgumentException("batch ref needs epoch >= 0 and id >= 0, got " + epoch + ":" + id);
        }
    }

    @Override
    public String toString() {
        return epoch + ":" + id;
    }
}
