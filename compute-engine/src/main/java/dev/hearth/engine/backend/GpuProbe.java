package dev.hearth.engine.backend;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/// Finds NVIDIA GPUs by asking `nvidia-smi` (installed with every NVIDIA driver on Linux and Windows).
/// Never throws: a machine without a GPU, a driver or the tool gets an empty list and a reason.
public final class GpuProbe {

    /// nvidia-smi answers in well under a second; a hung driver must not hang the engine's start.
    static final long TIMEOUT_SECONDS = 5;

    /// One card as the driver reports it; `memoryMiB` is total VRAM.
    public record Gpu(String name, int major, int minor, String driver, long memoryMiB) {
    }

    /// The cards found, or why none could be listed.
    public record Result(List<Gpu> gpus, Optional<String> problem) {
    }

    private GpuProbe() {
    }

    public static Result probe() {
        ProcessBuilder pb = new ProcessBuilder("nvidia-smi",
                "--query-gpu=name,compute_cap,driver_version,memory.total", "--format=csv,noheader,nounits");
        pb.redirectErrorStream(true);
        try {
            Process p = pb.start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(List.of(), Optional.of("nvidia-smi did not answer within " + TIMEOUT_SECONDS + " s"));
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                return new Result(List.of(), Optional.of(failed(out)));
            }
            return parse(out);
        } catch (IOException e) {
            return new Result(List.of(), Optional.of("no NVIDIA driver found (nvidia-smi is not installed)"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(List.of(), Optional.of("interrupted while asking nvidia-smi"));
        }
    }

    /// "nvidia-smi failed: …" as one clause: nvidia-smi's own message ends with a full stop, and the sentence it
    /// goes into continues ("…; training on the CPU"), which read ".;".
    static String failed(String output) {
        String said = output.strip();
        while (said.endsWith(".")) said = said.substring(0, said.length() - 1).strip();
        return "nvidia-smi failed: " + said;
    }

    /// Parses `name, 8.6, 550.54, 12288` lines; malformed lines are reported, not thrown.
    static Result parse(String csv) {
        List<Gpu> gpus = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        for (String line : csv.split("\\R")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(",");
            try {
                String[] cc = f[1].strip().split("\\.");
                gpus.add(new Gpu(f[0].strip(), Integer.parseInt(cc[0]), Integer.parseInt(cc[1]), f[2].strip(),
                        Long.parseLong(f[3].strip())));
            } catch (RuntimeException e) {
                bad.add(line.strip());
            }
        }
        Optional<String> problem = bad.isEmpty() ? Optional.empty()
                : Optional.of("could not read nvidia-smi output: " + String.join(" | ", bad));
        return new Result(gpus, problem);
    }
}
