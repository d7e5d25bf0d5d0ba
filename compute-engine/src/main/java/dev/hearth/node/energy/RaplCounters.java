package dev.hearth.node.energy;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/// The CPU packages' energy counters under `/sys/class/powercap` (Linux RAPL, Intel and AMD):
/// `intel-rapl:N/energy_uj`, a µJ counter that wraps at `max_energy_range_uj`.
///
/// Only the top-level package zones (`intel-rapl:0`, `intel-rapl:1`) are summed: their sub-zones
/// (`intel-rapl:0:0`, cores, uncore, DRAM) are parts of the package figure. Since Linux 5.10 the
/// counters are readable by root only (CVE-2020-8694, PLATYPUS), so on most desktops [#open] finds
/// none readable and the caller falls back to [CpuEnergyEstimate].
public final class RaplCounters {

    /// The kernel's powercap tree.
    public static final Path SYS_POWERCAP = Path.of("/sys/class/powercap");
    /// 256 bytes: an `energy_uj` file holds one decimal number (≤ 20 digits); anything longer is not one.
    private static final int MAX_FILE_BYTES = 256;

    private record Zone(Path energy, long maxRange) {}

    private final List<Zone> zones;

    private RaplCounters(List<Zone> zones) {
        this.zones = List.copyOf(zones);
    }

    /// The readable package zones under `root`, or why there are none ("no RAPL zones under …",
    /// "… is not readable (root only since Linux 5.10)").
    public static Result open(Path root) {
        List<Zone> zones = new ArrayList<>();
        String why = "no RAPL package zones under " + root;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, "intel-rapl:*")) {
            for (Path d : dirs) {
                String name = d.getFileName().toString();
                if (name.indexOf(':') != name.lastIndexOf(':')) continue; // a sub-zone, already in its package
                Path energy = d.resolve("energy_uj");
                try {
                    long max = readMicrojoules(d.resolve("max_energy_range_uj"));
                    readMicrojoules(energy);
                    if (max <= 0) {
                        why = d.resolve("max_energy_range_uj") + " is not a positive number";
                        continue;
                    }
                    zones.add(new Zone(energy, max));
                } catch (IOException | NumberFormatException e) {
                    why = energy + " is not readable (" + e.getClass().getSimpleName()
                            + "; RAPL is root only since Linux 5.10)";
                }
            }
        } catch (IOException e) {
            return new Result(Optional.empty(), "no powercap tree at " + root);
        }
        zones.sort((a, b) -> a.energy().compareTo(b.energy()));
        return zones.isEmpty() ? new Result(Optional.empty(), why) : new Result(Optional.of(new RaplCounters(zones)), "");
    }

    /// @param counters present when at least one package zone is readable
    /// @param why      why none is, when `counters` is empty
    public record Result(Optional<RaplCounters> counters, String why) {}

    /// The counters now, µJ, one per package zone (pass to [#joulesSince]).
    public long[] read() throws IOException {
        long[] out = new long[zones.size()];
        for (int i = 0; i < out.length; i++) out[i] = readMicrojoules(zones.get(i).energy());
        return out;
    }

    /// The energy, J, all packages used between `before` and `after` ([#read] twice), counting one
    /// wrap-around per zone: a counter below its earlier value went past `max_energy_range_uj`. (A
    /// package at 100 W wraps a 2^32 µJ counter in ~43 s and the usual 2^38 range in ~45 min, so a
    /// round longer than that could wrap twice; callers read at least once a minute.)
    public double joulesSince(long[] before, long[] after) {
        if (before.length != zones.size() || after.length != zones.size())
            throw new IllegalArgumentException("expected " + zones.size() + " counter values, got " + before.length + " and " + after.length);
        double microjoules = 0;
        for (int i = 0; i < before.length; i++) microjoules += delta(before[i], after[i], zones.get(i).maxRange());
        return microjoules / 1e6;
    }

    /// µJ from `before` to `after` on a counter that wraps to 0 after `maxRange`.
    static long delta(long before, long after, long maxRange) {
        return after >= before ? after - before : maxRange - before + after;
    }

    private static long readMicrojoules(Path file) throws IOException {
        byte[] bytes;
        try (var in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        }
        if (bytes.length > MAX_FILE_BYTES) throw new NumberFormatException(file + " is longer than a counter");
        return Long.parseLong(new String(bytes, java.nio.charset.StandardCharsets.US_ASCII).strip());
    }
}
