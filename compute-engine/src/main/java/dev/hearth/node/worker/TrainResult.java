package dev.hearth.node.worker;

/// What the trainer produced for one round.
///
/// @param payload          the encoded DeMo update (UpdateCodec format)
/// @param loss             mean cross-entropy over the assigned windows, before the update
/// @param tokens           predicted tokens (the update's weight in the aggregate)
/// @param computeMillis    wall time of forward, backward and compression
/// @param compressionRatio 4·params / payload bytes
public record TrainResult(long round, byte[] payload, float loss, long tokens, long computeMillis,
                          double compressionRatio) {}
