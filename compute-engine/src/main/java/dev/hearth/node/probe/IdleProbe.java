package dev.hearth.node.probe;

import dev.hearth.node.policy.Reading;
import java.time.Duration;

/// Time since the owner last touched the keyboard or mouse, on one kind of desktop.
/// Implementations never throw; they return [Reading.Unavailable] saying why.
public interface IdleProbe {

    /// Short name for messages: "X11", "Windows", "logind".
    String name();

    Reading<Duration> ownerIdle();
}
