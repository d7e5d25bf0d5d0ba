package dev.hearth.node.api;

/// A setting that cannot be accepted, naming the field so a form can show the message beside it.
public final class InvalidSettingException extends Exception {
    private final String field;

    public InvalidSettingException(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    public String field() {
        return field;
    }

    /// The message without the field prefix, for showing beside the field.
    public String problem() {
        return getMessage().substring(field.length() + 2);
    }
}
