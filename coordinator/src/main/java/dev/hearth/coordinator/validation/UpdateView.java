package dev.hearth.coordinator.validation;

import java.time.Instant;

/// What the coordinator knows about one upload, filled in by the session handler and the codec: the payload facts
/// the validator checks and the round facts the run state machine checks.
/// Nothing here is trusted yet except what the coordinator measured itself (`receivedAt`, `signatureValid`,
/// the decoder's flags).
///
/// @param runId           the run the node says the update is for
/// @param nodeId          the authenticated node (from the handshake, not from the message)
/// @param round           the round the node says it trained
/// @param baseVersion     the model version the node says it trained from
/// @param signatureValid  the node's Ed25519 signature over the upload verified
/// @param receivedAt      when the last byte arrived
/// @param withinCaps      the decoder found shape, chunk count and top-k within the run's caps (checked before
///                        allocating anything)
/// @param capsProblem     the decoder's reason when `withinCaps` is false (else empty)
/// @param nonFiniteValues NaN or infinite values among the decoded coefficients
/// @param l2Norm          L2 norm of the decoded update (its coefficients), for the median bound
public record UpdateView(String runId, String nodeId, long round, long baseVersion,
                         boolean signatureValid, Instant receivedAt, boolean withinCaps, String capsProblem,
                         long nonFiniteValues, double l2Norm) {
}
