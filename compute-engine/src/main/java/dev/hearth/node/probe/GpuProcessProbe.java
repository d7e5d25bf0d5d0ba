package dev.hearth.node.probe;

import dev.hearth.node.hardware.HearthProcesses;
import dev.hearth.node.hardware.Nvml;
import dev.hearth.node.policy.Reading;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/// Other programs using the GPU (a game, a render, a miner), from NVML's per-device process lists,
/// excluding Hearth's own processes.
///
/// Compute processes (CUDA/OpenCL) always count: they compete for the same cores. Graphics processes
/// count only when they hold at least [#GAME_VRAM_BYTES] and are not the desktop itself — with an
/// NVIDIA driver every compositor, browser and chat app holds a small graphics context, and pausing
/// for those would mean never running while a browser is open. Where the driver does not report
/// per-process memory (Windows WDDM), graphics processes are not counted; the idle and full-screen
/// rules cover games there.
public final class GpuProcessProbe {

    /// 512 MiB: games allocate gigabytes; compositors, browsers and launchers typically 30–400 MB.
    public static final long GAME_VRAM_BYTES = 512L << 20;
    /// Processes that always hold a graphics context: display servers, compositors and shells.
    static final Set<String> DESKTOP = Set.of("xorg", "xwayland", "gnome-shell", "kwin_x11", "kwin_wayland", "plasmashell",
            "mutter", "sway", "hyprland", "weston", "cinnamon", "xfwm4", "picom", "compiz",
            "dwm.exe", "csrss.exe", "explorer.exe", "searchhost.exe", "startmenuexperiencehost.exe", "textinputhost.exe",
            "windowserver");

    private final Supplier<ProcessSource> source;
    private final HearthProcesses ours;

    /// The processes seen on the GPUs, from NVML or a test.
    public interface ProcessSource {
        List<Nvml.GpuProcess> processes();
    }

    public GpuProcessProbe(Supplier<ProcessSource> source, HearthProcesses ours) {
        this.source = Objects.requireNonNull(source, "source");
        this.ours = Objects.requireNonNull(ours, "ours");
    }

    /// Reads every NVML device's processes; unavailable without the NVIDIA driver.
    public static GpuProcessProbe nvml(HearthProcesses ours) {
        return new GpuProcessProbe(() -> switch (Nvml.get()) {
            case Reading.Available<Nvml>(Nvml nvml) -> () -> {
                List<Nvml.GpuProcess> all = new ArrayList<>();
                for (Nvml.Device d : nvml.devices()) all.addAll(nvml.processes(d.index()));
                return all;
            };
            case Reading.Unavailable<Nvml> u -> null;
        }, ours);
    }

    /// Names of foreign processes on the GPU (sorted, distinct), or why they cannot be known.
    public Reading<List<String>> foreignProcesses() {
        ProcessSource s;
        try {
            s = source.get();
        } catch (RuntimeException | LinkageError e) {
            return Reading.unavailable("GPU process list failed (" + e.getMessage() + ")");
        }
        if (s == null) {
            return Reading.unavailable(Nvml.get() instanceof Reading.Unavailable<Nvml>(String why) ? why : "no NVIDIA driver");
        }
        try {
            Set<Long> mine = ours.pids();
            Set<String> names = new TreeSet<>();
            for (Nvml.GpuProcess p : s.processes()) {
                if (mine.contains(p.pid())) continue;
                String name = processName(p.pid());
                if (isForeign(p, name)) names.add(name);
            }
            return Reading.of(List.copyOf(names));
        } catch (RuntimeException | LinkageError e) {
            return Reading.unavailable("GPU process list failed (" + e.getMessage() + ")");
        }
    }

    /// Whether a process (not Hearth's) with this executable name competes for the GPU.
    static boolean isForeign(Nvml.GpuProcess p, String name) {
        if (!p.graphics()) return true;
        if (DESKTOP.contains(name.toLowerCase(Locale.ROOT))) return false;
        return p.usedGpuMemoryBytes() >= GAME_VRAM_BYTES; // "unknown" (-1) does not count
    }

    /// The executable's file name, or "process <pid>" when the OS does not show it (another user's).
    static String processName(long pid) {
        return ProcessHandle.of(pid)
                .flatMap(h -> h.info().command())
                .map(c -> Path.of(c).getFileName().toString())
                .orElse("process " + pid);
    }
}
