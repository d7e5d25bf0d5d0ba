package dev.hearth.coordinator.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/// A `./hearth coordinator` or `./hearth node` started as a child process of this JVM (same `java`, same class
/// path, the launcher's JVM flags), its stdout and stderr going to one log file the scenario reads.
public final class ChildJvm implements AutoCloseable {

    /// The flags `./hearth` passes (native access for OpenBLAS, Netty's Unsafe, the model's recursion depth).
    static final List<String> JVM_FLAGS = List.of("--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow", "-Xss4m", "-Xmx768m");
    /// Grace for a normal exit after SIGTERM before SIGKILL.
    static final long EXIT_WAIT_SECONDS = 10;

    private final Process process;
    private final Path log;

    private ChildJvm(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /// Starts `mainClass args` with its output in `log`.
    public static ChildJvm start(String mainClass, List<String> args, Path log) throws IOException {
        return start(mainClass, List.of(), args, log);
    }

    /// As [#start(String, List, Path)] with `jvmFlags` after the usual ones (a later `-Xmx` wins).
    public static ChildJvm start(String mainClass, List<String> jvmFlags, List<String> args, Path log) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(JVM_FLAGS);
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        Files.createDirectories(log.toAbsolutePath().getParent());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        return new ChildJvm(pb.start(), log);
    }

    /// The output so far.
    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    public Path log() {
        return log;
    }

    public boolean alive() {
        return process.isAlive();
    }

    public int waitFor(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new IllegalStateException("process " + process.pid() + " did not exit within " + seconds + " s");
        }
        return process.exitValue();
    }

    /// `kill -9` of the process and anything it started (a trainer worker), without any chance to clean up.
    public void kill9() throws InterruptedException {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        process.waitFor(EXIT_WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /// Stops the process (SIGTERM, then SIGKILL after a grace period) and its descendants.
    @Override
    public void close() {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(EXIT_WAIT_SECONDS, TimeUnit.SECONDS)) process.destroyForcibly();
            process.waitFor(EXIT_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }
}
