package dev.hearth.desktop.view;

import javafx.scene.Parent;

/// A screen: its node tree, and the moments it becomes visible or hidden. Timelines and listeners start in
/// {@link #activate()} and stop in {@link #deactivate()} (Bisq's pattern), so hidden screens cost nothing.
public interface View {
    Parent root();

    default void activate() {}

    default void deactivate() {}
}
