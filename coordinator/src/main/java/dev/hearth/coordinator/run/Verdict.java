package dev.hearth.coordinator.run;

/// The one answer to an upload: accepted, or the first rule it broke with a sentence for the node's receipt and the
/// ledger. The round rules are {@link RunStateMachine#uploadReceived}'s, the payload rules
/// {@code UpdateValidator}'s, the norm bound is judged at aggregation; all answer with this type.
public record Verdict(boolean accepted, Rule rule, String reason) {

    /// The rules, in the order they win when an upload breaks several (who sent it and for which run, then the
    /// round, then what it carries).
    public enum Rule {
        /// Accepted: no rule broken.
        NONE,
        /// For another run (payload).
        RUN,
        /// The node is quarantined (its updates do not count).
        QUARANTINED,
        /// The node's signature over the upload does not verify (payload).
        SIGNATURE,
        /// Not the open round, or no round is open.
        ROUND,
        /// The node has no batches in the round.
        NOT_ASSIGNED,
        /// The node already answered for the round (one upload per node per round).
        DUPLICATE,
        /// Trained from another version than the round's base.
        BASE_VERSION,
        /// Late: after the deadline, once the round closed, or after the node left and its batches went back.
        DEADLINE,
        /// Shape or top-k outside the run's caps, or not decodable (payload).
        CAPS,
        /// NaN or infinite values (payload).
        NON_FINITE,
        /// The reported local loss is NaN, infinite or negative (payload).
        LOCAL_LOSS,
        /// The claimed token count does not match the assignment.
        TOKENS,
        /// The norm is beyond the bound of the round's median (at aggregation).
        NORM
    }

    public static Verdict accept() {
        return new Verdict(true, Rule.NONE, "accepted");
    }

    public static Verdict reject(Rule rule, String reason) {
        if (rule == Rule.NONE) {
            throw new IllegalArgumentException("a rejection needs a rule");
        }
        return new Verdict(false, rule, reason);
    }

    /// The first broken rule of `a` and `b` in {@link Rule} order, or acceptance when neither broke one.
    public static Verdict first(Verdict a, Verdict b) {
        if (a.accepted()) return b;
        if (b.accepted()) return a;
        return a.rule().ordinal() <= b.rule().ordinal() ? a : b;
    }
}
