package dev.hearth.node.session;

import dev.hearth.node.Version;
import dev.hearth.protocol.RunAddress;
import dev.hearth.protocol.client.ClientConfig;
import dev.hearth.protocol.client.ClientListener;
import dev.hearth.protocol.client.Disconnect;
import dev.hearth.protocol.client.HearthClient;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Hello;
import dev.hearth.protocol.wire.Welcome;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/// Asks a run's coordinator whether it answers before the node leaves the run it is on (issue 16 item 2: changing
/// runs keeps the old run until the new one answers). A second connection with the node's own identity, apart from
/// the session: it completes on the new coordinator's `Welcome` (then leaves, and the session joins for real), keeps
/// retrying with the client's backoff while the coordinator cannot be reached, telling each failure in one sentence
/// with the next attempt's time, and fails when the coordinator refuses for good (wrong certificate, a `Reject`
/// without retry) or the owner cancels.
public final class RunProbe implements AutoCloseable {

    /// The new run refused this node for good, or the owner cancelled; the message is one sentence.
    public static final class RefusedException extends RuntimeException {
        public RefusedException(String sentence) {
            super(sentence);
        }
    }

    private final HearthClient client;
    private final CompletableFuture<Welcome> answered = new CompletableFuture<>();

    /// @param attempts told, in one sentence, each failed attempt and when the next one is (client's thread)
    public RunProbe(RunAddress address, NodeIdentity identity, Consumer<String> attempts) {
        Hello hello = Hello.newBuilder().setClientVersion(Version.CURRENT).build();
        String where = address.host() + ":" + address.port();
        client = new HearthClient(ClientConfig.of(address, hello), identity, new ClientListener() {
            @Override
            public void onWelcome(Welcome welcome) {
                answered.complete(welcome);
            }

            @Override
            public void onMessage(Envelope envelope) {
                // nothing: the session that joins next receives the run's messages
            }

            @Override
            public void onDisconnected(Disconnect d) {
                if (answered.isDone()) return;
                if (d.reconnectIn().isEmpty()) {
                    answered.completeExceptionally(new RefusedException(refusal(where, d.reason())));
                } else {
                    attempts.accept(notYet(where, d.reason(), d.reconnectIn().get().toSeconds()));
                }
            }
        });
    }

    /// Starts asking; the future completes with the new run's welcome, or exceptionally with a [RefusedException].
    public CompletableFuture<Welcome> start() {
        client.start();
        return answered;
    }

    /// Stops asking (the owner cancelled, or the node closes).
    public void cancel() {
        answered.completeExceptionally(new RefusedException("Not switching runs: cancelled."));
        close();
    }

    @Override
    public void close() {
        client.close();
    }

    /// "host:port does not answer yet (connection refused); trying again in 5 s": one sentence, the cause in a few
    /// words instead of the exception chain.
    static String notYet(String where, String reason, long retrySeconds) {
        return where + " does not answer yet (" + cause(reason) + "); trying again in " + Math.max(1, retrySeconds)
                + " s.";
    }

    static String refusal(String where, String reason) {
        return where + " refused this node (" + cause(reason) + ").";
    }

    /// The few words that say why a connection failed, from the client's reason ("cannot connect to h:p: network
    /// error: Connection refused: /1.2.3.4:5" → "connection refused").
    static String cause(String reason) {
        String r = reason == null ? "" : reason;
        String lower = r.toLowerCase(Locale.ROOT);
        if (lower.contains("connection refused")) return "connection refused";
        if (lower.contains("timed out") || lower.contains("timeout")) return "no answer in time";
        if (lower.contains("unknownhost") || lower.contains("unresolved") || lower.contains("name or service not known")
                || lower.contains("nodename nor servname")) return "unknown host name";
        if (lower.contains("no route to host") || lower.contains("network is unreachable")) return "network unreachable";
        if (lower.contains("fingerprint")) return "its certificate does not match the address's fingerprint";
        if (lower.startsWith("tls failed")) return "secure connection failed";
        // the client's own sentence, without the "cannot connect to host:port: " it starts with
        int colon = r.indexOf(": ");
        String tail = r.startsWith("cannot connect") && colon > 0 ? r.substring(colon + 2) : r;
        int nested = tail.indexOf(": /");
        return (nested > 0 ? tail.substring(0, nested) : tail).strip();
    }
}
