package dev.hearth.protocol.client;

import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Welcome;

/// The node application's side of [HearthClient].
///
/// **Callbacks run on the client's event-loop thread and must not block**; hand slow work (disk, training,
/// hashing a checkpoint) to your own executor. Callbacks arrive in order, one at a time.
public interface ClientListener {
    /// The coordinator accepted this node. Called once per successful (re)connection, before any [#onMessage].
    void onWelcome(Welcome welcome);

    /// Any message after the `Welcome` (RoundStart, Chunk, BatchData, UpdateReceipt, RoundCommit, Heartbeat, ...).
    void onMessage(Envelope envelope);

    /// The session ended or a connection attempt failed; [Disconnect#reconnectIn] says what happens next.
    void onDisconnected(Disconnect disconnect);
}
