package dev.hearth.protocol.server;

import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Hello;

/// The coordinator application's side of [HearthServer]: it sees only authenticated peers.
///
/// **Callbacks run on a Netty event loop and must not block** (no disk or database waits, no locks held for
/// long, no training work): hand anything slow to an executor of your own and answer through [Peer#send] later.
/// Callbacks for one peer arrive in order on one thread; different peers may call back concurrently.
/// An exception thrown from a callback closes that peer's connection and is logged.
public interface PeerHandler {
    /// The peer proved ownership of its key. Answer with `Welcome` (via [Peer#send]) or [Peer#reject].
    void onAuthenticated(Peer peer, Hello hello);

    /// A message from an authenticated peer (any node-to-coordinator kind, including `Heartbeat` and `Leave`).
    void onMessage(Peer peer, Envelope envelope);

    /// The connection of an authenticated peer closed, with a readable reason. Called exactly once per peer.
    void onClosed(Peer peer, String reason);

    /// The peer's outbound buffer crossed a water mark; see [Peer#isWritable]. Default: ignore.
    default void onWritabilityChanged(Peer peer, boolean writable) {
    }
}
