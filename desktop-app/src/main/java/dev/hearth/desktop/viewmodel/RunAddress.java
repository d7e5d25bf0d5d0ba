package dev.hearth.desktop.viewmodel;

import java.util.Optional;
import java.util.regex.Pattern;

/// Checks a run address the owner typed (`hearth://host:port#sha256=<64 hex>`), so the field can say what is
/// wrong before the node is asked. It mirrors the protocol's `RunAddress.parse` (which the app may not depend on);
/// the node's own `joinRun` stays the final judge.
public final class RunAddress {
    public static final String SCHEME = "hearth://";
    /// The address the settings use for the embedded run.
    public static final String LOCAL = "local";
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]+]");
    private static final Pattern FINGERPRINT = Pattern.compile("(?i)sha256=[0-9a-f]{64}");
    private static final int MAX_PORT = 65_535;

    private RunAddress() {}

    /// @return the problem in plain words, or empty when the address looks right
    public static Optional<String> problem(String address) {
        if (address == null || address.isBlank()) return Optional.of("enter a hearth:// address");
        String a = address.strip();
        if (!a.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) return Optional.of("must start with hearth://");
        String rest = a.substring(SCHEME.length());
        int hash = rest.indexOf('#');
        if (hash < 0) return Optional.of("needs #sha256=<fingerprint> at the end: without it the run cannot be verified");
        String fragment = rest.substring(hash + 1);
        rest = rest.substring(0, hash);
        if (rest.endsWith("/")) rest = rest.substring(0, rest.length() - 1);
        int colon = rest.lastIndexOf(':');
        if (colon <= 0 || rest.endsWith("]")) return Optional.of("needs a host and a port, e.g. hearth://run.example.org:7443#sha256=…");
        String host = rest.substring(0, colon);
        String port = rest.substring(colon + 1);
        if (!HOST.matcher(host).matches()) return Optional.of("\"" + host + "\" is not a host name");
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            return Optional.of("the port must be a number");
        }
        if (p < 1 || p > MAX_PORT) return Optional.of("the port must be between 1 and " + MAX_PORT);
        if (!FINGERPRINT.matcher(fragment).matches())
            return Optional.of("the part after # must be sha256= and 64 hex digits");
        return Optional.empty();
    }

    /// A settings value: "local" or a well-formed hearth:// address.
    public static Optional<String> settingsProblem(String value) {
        if (value != null && value.strip().equals(LOCAL)) return Optional.empty();
        return problem(value).map(p -> p + " (or \"local\" for the local run)");
    }

    /// "host:port" of a well-formed address (what a sentence names; the fingerprint is for machines), else the text.
    public static String hostPort(String address) {
        String a = address == null ? "" : address.strip();
        if (problem(a).isPresent()) return a;
        String rest = a.substring(SCHEME.length());
        rest = rest.substring(0, rest.indexOf('#'));
        return rest.endsWith("/") ? rest.substring(0, rest.length() - 1) : rest;
    }
}
