package dev.hearth.node.probe;

import dev.hearth.node.policy.Reading;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/// Runs a small system command (`loginctl`, `gdbus`, `ioreg`) for a probe, bounded in time and
/// output; never throws. Tests substitute a fake to feed recorded outputs.
@FunctionalInterface
public interface CommandRunner {

    /// 2 s: these commands answer in milliseconds; a hung D-Bus must not stall the policy loop long.
    Duration TIMEOUT = Duration.ofSeconds(2);
    /// 256 KiB: `ioreg` output for IOHIDSystem is a few KB.
    int MAX_OUTPUT_BYTES = 256 * 1024;

    /// The command's standard output, or why there is none.
    Reading<String> run(List<String> command);

    CommandRunner SYSTEM = command -> {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            return Reading.unavailable(command.getFirst() + " is not available");
        }
        try (InputStream in = p.getInputStream()) {
            p.getOutputStream().close();
            if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return Reading.unavailable(command.getFirst() + " did not answer within " + TIMEOUT.toSeconds() + " s");
            }
            String out = new String(in.readNBytes(MAX_OUTPUT_BYTES), StandardCharsets.UTF_8);
            if (p.exitValue() != 0) return Reading.unavailable(command.getFirst() + " failed (exit " + p.exitValue() + ")");
            return Reading.of(out);
        } catch (IOException e) {
            return Reading.unavailable(command.getFirst() + " output could not be read");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return Reading.unavailable("interrupted");
        }
    };
}
