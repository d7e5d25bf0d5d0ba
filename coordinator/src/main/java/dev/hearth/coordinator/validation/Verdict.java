package dev.hearth.coordinator.validation;

/// The validator's answer: accepted, or the first rule broken with a sentence for the node's receipt.
public record Verdict(boolean accepted, Rule rule, String reason) {

    /// The rules, in the order they are checked (cheapest and most telling first).
    public enum Rule {
        /// Accepted: no rule broken.
        NONE,
        PROTOCOL_VERSION,
        RUN,
        QUARANTINED,
        SIGNATURE,
        ROUND,
        NOT_ASSIGNED,
        DUPLICATE,
        BASE_VERSION,
        DEADLINE,
        CAPS,
        NON_FINITE,
        /// The claimed token count does not match the assignment (checked by the run state machine).
        TOKENS,
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
}
