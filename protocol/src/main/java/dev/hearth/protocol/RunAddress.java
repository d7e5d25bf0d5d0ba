package dev.hearth.protocol;

import java.util.Locale;
import java.util.regex.Pattern;

/// Where a training run lives and how to recognise its coordinator: `hearth://host:port#sha256=<64 hex>`.
/// The host is a DNS name, an IPv4 address, or an IPv6 address in brackets (`hearth://[::1]:7461#sha256=...`).
///
/// @param host host name or address (IPv6 without brackets)
/// @param port TCP port, 1..65535
/// @param fingerprintHex lower-case hex SHA-256 of the coordinator's certificate (64 characters)
public record RunAddress(String host, int port, String fingerprintHex) {
    public static final String SCHEME = "hearth://";
    private static final String FRAGMENT = "#sha256=";
    private static final int MAX_PORT = 65_535;
    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}(%[A-Za-z0-9]+)?");
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    public RunAddress {
        if (host == null || !(HOST_NAME.matcher(host).matches() || (host.contains(":") && IPV6.matcher(host).matches()))) {
            throw new IllegalArgumentException("'" + host + "' is not a host name or IP address");
        }
        if (port < 1 || port > MAX_PORT) {
            throw new IllegalArgumentException("port " + port + " is outside 1..65535");
        }
        if (fingerprintHex == null || !HEX64.matcher(fingerprintHex).matches()) {
            throw new IllegalArgumentException("the fingerprint must be 64 lower-case hex characters (SHA-256), got '"
                    + fingerprintHex + "'");
        }
    }

    /// Parses `hearth://host:port#sha256=<hex>`; the fingerprint may be upper or lower case.
    ///
    /// @throws IllegalArgumentException naming the part that is wrong and what it should look like
    public static RunAddress parse(String text) {
        String example = " (expected hearth://host:port#sha256=<64 hex characters>)";
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("the run address is empty" + example);
        }
        String address = text.strip();
        if (!address.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            throw new IllegalArgumentException("the run address '" + address + "' does not start with " + SCHEME
                    + example);
        }
        String rest = address.substring(SCHEME.length());
        int hash = rest.indexOf('#');
        if (hash < 0) {
            throw new IllegalArgumentException("the run address '" + address + "' has no #sha256=<fingerprint> part; "
                    + "without it the coordinator cannot be verified" + example);
        }
        String authority = rest.substring(0, hash);
        String fragment = rest.substring(hash);
        if (!fragment.regionMatches(true, 0, FRAGMENT, 0, FRAGMENT.length())) {
            throw new IllegalArgumentException("the part after '#' must be sha256=<fingerprint>, got '"
                    + fragment.substring(1) + "'" + example);
        }
        String fingerprint = fragment.substring(FRAGMENT.length());
        if (fingerprint.length() != 64 || !HEX64.matcher(fingerprint.toLowerCase(Locale.ROOT)).matches()) {
            throw new IllegalArgumentException("the fingerprint '" + fingerprint + "' is not 64 hex characters "
                    + "(it has " + fingerprint.length() + ")" + example);
        }
        if (authority.endsWith("/")) {
            authority = authority.substring(0, authority.length() - 1);
        }
        String host;
        String portText;
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("the IPv6 address in '" + authority + "' has no closing ']'"
                        + example);
            }
            host = authority.substring(1, close);
            String afterHost = authority.substring(close + 1);
            if (!afterHost.startsWith(":")) {
                throw new IllegalArgumentException("the run address '" + address + "' has no port after the host"
                        + example);
            }
            portText = afterHost.substring(1);
        } else {
            int colon = authority.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("the run address '" + address + "' has no port after the host"
                        + example);
            }
            host = authority.substring(0, colon);
            portText = authority.substring(colon + 1);
            if (host.contains(":")) {
                throw new IllegalArgumentException("the IPv6 address '" + host + "' must be written in brackets, "
                        + "e.g. hearth://[::1]:7461#sha256=...");
            }
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("the run address '" + address + "' has no host" + example);
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the port '" + portText + "' is not a number" + example, e);
        }
        return new RunAddress(host, port, fingerprint.toLowerCase(Locale.ROOT));
    }

    @Override
    public String toString() {
        String hostPart = host.contains(":") ? "[" + host + "]" : host;
        return SCHEME + hostPart + ":" + port + FRAGMENT + fingerprintHex;
    }
}
