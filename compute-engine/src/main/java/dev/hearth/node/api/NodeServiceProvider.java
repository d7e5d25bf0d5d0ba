package dev.hearth.node.api;

import java.nio.file.Path;
import java.util.ServiceLoader;

/// How a front end obtains the real node without depending on its implementation classes:
/// `NodeServiceProvider.load().start(options)`. The node module registers its implementation
/// under META-INF/services.
public interface NodeServiceProvider {

    /// @param dataDir  where the node keeps everything (null = the platform's user data dir)
    /// @param headless true when no UI is attached (affects only logging defaults)
    record Options(Path dataDir, boolean headless) {}

    /// Opens the data dir, history and settings and starts the node's threads; contributes per the settings.
    NodeService start(Options options);

    static NodeServiceProvider load() {
        return ServiceLoader.load(NodeServiceProvider.class).findFirst().orElseThrow(() ->
                new IllegalStateException("no Hearth node implementation on the classpath (hearth-compute-engine missing?)"));
    }
}
