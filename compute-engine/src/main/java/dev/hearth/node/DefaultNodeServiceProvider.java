package dev.hearth.node;

import dev.hearth.node.api.NodeService;
import dev.hearth.node.api.NodeServiceProvider;
import dev.hearth.node.settings.DataDirs;
import java.nio.file.Path;
import java.time.Clock;

/// The real node for front ends (registered in META-INF/services/dev.hearth.node.api.NodeServiceProvider).
public final class DefaultNodeServiceProvider implements NodeServiceProvider {

    @Override
    public NodeService start(Options options) {
        Path dir = options.dataDir() != null ? options.dataDir() : DataDirs.userDataDir();
        try {
            DataDirs.ensure(dir);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        NodeRuntime node = NodeRuntime.start(dir, Clock.systemUTC(), false, Probes::forThisMachine);
        if (node.hadSettings()) node.joinConfiguredRun(); // else the app's first-start screen chooses
        return node;
    }
}
