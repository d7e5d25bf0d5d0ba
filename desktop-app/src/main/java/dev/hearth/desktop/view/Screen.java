package dev.hearth.desktop.view;

import org.kordamp.ikonli.Ikon;
import org.kordamp.ikonli.material2.Material2AL;
import org.kordamp.ikonli.material2.Material2MZ;

/// The screens of the main window, in sidebar order; `id` names the screenshot file too.
public enum Screen {
    DASHBOARD("Dashboard", "dashboard", Material2AL.DASHBOARD),
    CONTRIBUTION("Contribution", "contribution", Material2AL.INSIGHTS),
    RUN("Run", "run", Material2MZ.PUBLIC),
    SETTINGS("Settings", "settings", Material2MZ.SETTINGS),
    LOG("Log", "log", Material2AL.ARTICLE);

    private final String title;
    private final String id;
    private final Ikon icon;

    Screen(String title, String id, Ikon icon) {
        this.title = title;
        this.id = id;
        this.icon = icon;
    }

    public String title() { return title; }
    public String id() { return id; }
    public Ikon icon() { return icon; }
}
