package dev.hearth.node.worker;

/// One round's work for the trainer: train these windows from the parameters at `version`
/// (stored by the node in `paramsFile`), produce one compressed update.
///
/// @param round      the coordinator's round number
/// @param version    the model version the parameters belong to
/// @param paramsFile file with the parameters (written atomically by the node; see {@link dev.hearth.engine.checkpoint.Checkpoint#ofParams})
/// @param batchIds   the windows assigned to this node for the round
/// @param lr         the inner AdamW's learning rate this round (RoundStart.lr; unused without local steps)
public record TrainJob(long round, long version, java.nio.file.Path paramsFile, long[] batchIds, float lr) {

    /// A job for the sign outer step (no inner optimizer, no inner lr).
    public TrainJob(long round, long version, java.nio.file.Path paramsFile, long[] batchIds) {
        this(round, version, paramsFile, batchIds, 0f);
    }
}
