package dev.hearth.protocol.session;

import dev.hearth.protocol.ProtocolViolationException;
import dev.hearth.protocol.framing.FrameTooLargeException;
import dev.hearth.protocol.framing.MalformedFrameException;
import dev.hearth.protocol.tls.FingerprintMismatchException;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import javax.net.ssl.SSLException;

/// Turns the exceptions that end a connection into one readable sentence for logs and listeners.
public final class Disconnects {
    private Disconnects() {
    }

    public static String describe(Throwable cause) {
        Throwable root = cause;
        if (root instanceof DecoderException && root.getCause() != null
                && !(root instanceof MalformedFrameException) && !(root instanceof FrameTooLargeException)) {
            root = root.getCause();
        }
        FingerprintMismatchException mismatch = find(cause, FingerprintMismatchException.class);
        if (mismatch != null) {
            return mismatch.getMessage();
        }
        if (root instanceof MalformedFrameException || root instanceof FrameTooLargeException) {
            return "malformed frame: " + root.getMessage();
        }
        if (root instanceof ProtocolViolationException) {
            return "protocol violation: " + root.getMessage();
        }
        if (root instanceof SSLException) {
            return "TLS failed: " + innermostMessage(root);
        }
        if (root instanceof ClosedChannelException) {
            return "connection closed";
        }
        if (root instanceof IOException) {
            return "network error: " + root.getMessage();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    public static <T extends Throwable> T find(Throwable cause, Class<T> type) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    private static String innermostMessage(Throwable cause) {
        Throwable t = cause;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }
}
