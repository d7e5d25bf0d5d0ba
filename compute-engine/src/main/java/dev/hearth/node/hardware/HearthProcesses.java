package dev.hearth.node.hardware;

import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/// Which processes are Hearth's: this JVM, its descendants (the trainer worker is a child JVM), and
/// any PID registered explicitly (a worker started some other way). The hardware monitor sums their
/// CPU and memory; the GPU probe ignores them when looking for a game.
public final class HearthProcesses {
    private final Set<Long> registered = ConcurrentHashMap.newKeySet();

    public void register(long pid) {
        registered.add(pid);
    }

    public void unregister(long pid) {
        registered.remove(pid);
    }

    /// This process, its live descendants and the registered PIDs.
    public Set<Long> pids() {
        Set<Long> out = new TreeSet<>(registered);
        ProcessHandle self = ProcessHandle.current();
        out.add(self.pid());
        self.descendants().forEach(p -> out.add(p.pid()));
        return out;
    }
}
