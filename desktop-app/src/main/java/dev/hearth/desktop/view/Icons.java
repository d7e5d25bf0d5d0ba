package dev.hearth.desktop.view;

import java.io.InputStream;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;
import javafx.scene.image.Image;

/// The app's own pictures from the hearth-assets module (`/dev/hearth/assets/`).
public final class Icons {
    public static final String ASSETS = "/dev/hearth/assets/";
    /// Sizes rendered from `hearth.svg`; window managers pick the closest.
    public static final List<Integer> APP_ICON_SIZES = List.of(16, 24, 32, 48, 64, 128, 256, 512);
    private static final Map<Integer, Image> CACHE = new ConcurrentHashMap<>();

    private Icons() {}

    /// The flame at `size` px (the nearest rendered size, scaled), or an empty image when the assets are missing.
    public static Image appIcon(int size) {
        return CACHE.computeIfAbsent(size, s -> {
            int source = APP_ICON_SIZES.stream().filter(v -> v >= s).findFirst().orElse(512);
            try (InputStream in = Icons.class.getResourceAsStream(ASSETS + "icon-" + source + ".png")) {
                return in == null ? new javafx.scene.image.WritableImage(1, 1) : new Image(in, s, s, true, true);
            } catch (java.io.IOException e) {
                return new javafx.scene.image.WritableImage(1, 1);
            }
        });
    }

    public static List<Image> windowIcons() {
        return APP_ICON_SIZES.stream().filter(s -> s <= 256).map(Icons::appIcon).toList();
    }

    public static String stylesheet() {
        var url = Icons.class.getResource(ASSETS + "hearth.css");
        return url == null ? null : url.toExternalForm();
    }
}
