package dev.hearth.coordinator.service;

import dev.hearth.protocol.wire.Hello;

/// Text a node sends, made safe once, where it enters the coordinator: every string of a node's messages that
/// can reach a log line, the dashboard or the ledger goes through [#clean] before anything else sees it.
///
/// A node is untrusted: a newline in `Hello.device` writes a fake log line, an ANSI escape recolours or erases
/// the operator's terminal, a 30 KB `Hello.backend` writes a 30 KB line. So:
///
/// * every control character (C0, DEL, C1), format character (bidi overrides such as U+202E, zero-width
///   joiners), line or paragraph separator and lone surrogate becomes one [#REPLACEMENT] character, so that
///   what was there stays visible without acting;
/// * an escape sequence (`ESC [ … final`, `ESC ] … BEL|ESC \`, `ESC x`, and the 8-bit CSI U+009B) becomes one
///   [#REPLACEMENT] as a whole, so that no `[31m` remnant is left behind;
/// * the result is capped at a field's named length in code points, with [#ELLIPSIS] marking the cut.
///
/// The output equals the input exactly when the input was clean and within its cap, so a cleaned string can still
/// be compared with what the coordinator expects (a run id): a dirty one never compares equal to a clean one.
public final class NodeText {

    /// U+FFFD: stands for each removed character or escape sequence.
    public static final char REPLACEMENT = '\uFFFD';
    /// U+2026: ends a string that was cut at its cap.
    public static final char ELLIPSIS = '\u2026';

    /// 64 code points: a Hearth version ("0.1.0-SNAPSHOT+abc1234") is about 25.
    public static final int MAX_CLIENT_VERSION_CHARS = 64;
    /// 320 code points: a backend is the trainer's sentence on where it trains and why ("training on NVIDIA GeForce
    /// RTX 3060 (compute capability 8.6) at micro-batch 8: 11.2 GiB free, …" or "…; training on the CPU (2 of 2
    /// cores, matrix multiplies on OpenBLAS 0.3.31 …)"), about 120–220 in practice.
    public static final int MAX_BACKEND_CHARS = 320;
    /// 128 code points: GPU and CPU names run to about 60 ("AMD Ryzen 9 7950X3D 16-Core Processor").
    public static final int MAX_DEVICE_CHARS = 128;
    /// 256 code points: a leave reason is a sentence a person reads.
    public static final int MAX_REASON_CHARS = 256;
    /// 80 code points: a run id is at most 64 (RunConfig's rule); a longer one is wrong anyway, and still cut.
    public static final int MAX_RUN_ID_CHARS = 80;

    private static final char ESC = '\u001B';
    private static final char BEL = '\u0007';
    private static final char C1_CSI = '\u009B';

    private NodeText() {
    }

    /// What a node says about itself in `Hello`, cleaned (the only form the coordinator logs or shows).
    public record NodeDescription(String clientVersion, String backend, String device) {
        public static NodeDescription of(Hello hello) {
            return new NodeDescription(clean(hello.getClientVersion(), MAX_CLIENT_VERSION_CHARS),
                    clean(hello.getBackend(), MAX_BACKEND_CHARS), clean(hello.getDevice(), MAX_DEVICE_CHARS));
        }
    }

    /// `text` with control characters and escape sequences replaced and its length capped at `maxCodePoints`.
    public static String clean(String text, int maxCodePoints) {
        if (maxCodePoints < 1) {
            throw new IllegalArgumentException("a text cap must be at least 1 code point, got " + maxCodePoints);
        }
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), 2 * maxCodePoints));
        int kept = 0;
        int i = 0;
        while (i < text.length()) {
            if (kept == maxCodePoints) {
                out.append(ELLIPSIS);
                return out.toString();
            }
            char c = text.charAt(i);
            if (c == ESC || c == C1_CSI) {
                i = skipEscape(text, i);
                out.append(REPLACEMENT);
            } else {
                int cp = text.codePointAt(i);
                i += Character.charCount(cp);
                if (unsafe(cp)) {
                    out.append(REPLACEMENT);
                } else {
                    out.appendCodePoint(cp);
                }
            }
            kept++;
        }
        return out.toString();
    }

    private static boolean unsafe(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SURROGATE, Character.UNASSIGNED, Character.PRIVATE_USE -> true;
            default -> false;
        };
    }

    /// The index just after the escape sequence starting at `start` (ECMA-48: CSI, OSC/DCS/PM/APC strings, or a
    /// two-character escape); an unterminated sequence runs to the end of the text.
    private static int skipEscape(String s, int start) {
        int i = start + 1;
        boolean csi = s.charAt(start) == C1_CSI;
        if (!csi) {
            if (i >= s.length()) {
                return i;
            }
            char kind = s.charAt(i++);
            if (kind == ']' || kind == 'P' || kind == '^' || kind == '_') { // string: until BEL or ESC \
                while (i < s.length()) {
                    char c = s.charAt(i++);
                    if (c == BEL) {
                        return i;
                    }
                    if (c == ESC && i < s.length() && s.charAt(i) == '\\') {
                        return i + 1;
                    }
                }
                return i;
            }
            if (kind != '[') {
                return i; // ESC x
            }
        }
        while (i < s.length()) { // parameter (0x30-0x3F) and intermediate (0x20-0x2F) bytes, then one final byte
            char c = s.charAt(i++);
            if (c >= 0x40 && c <= 0x7E) {
                return i;
            }
            if (c < 0x20 || c > 0x3F) {
                return i - 1; // not part of a CSI: stop before it (it is cleaned on its own)
            }
        }
        return i;
    }
}
