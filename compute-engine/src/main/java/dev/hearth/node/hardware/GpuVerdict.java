package dev.hearth.node.hardware;

import dev.hearth.node.api.GpuCheck;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/// Whether this machine's GPU can run Hearth's GPU engine, in plain words: a pure function of what
/// the probes found, so every case is tested without the hardware.
///
/// The GPU engine is ND4J's CUDA 11.6 build. Its kernels are machine code for compute capability
/// 3.7 to 8.6; an 8.9 card (RTX 40) runs the 8.6 code by binary compatibility within major version 8.
/// 9.0 (H100) and 10.x/12.x (Blackwell, RTX 50) would need PTX for their architecture, which the
/// build does not carry — so they train on the CPU.
public final class GpuVerdict {

    /// Oldest supported: Kepler GK210 (Tesla K80), the lowest architecture in the CUDA 11.6 build.
    public static final int MIN_CC_TENTHS = 37;
    /// Newest supported: Ada (RTX 40), via binary compatibility with sm_86.
    public static final int MAX_CC_TENTHS = 89;
    /// 2 GiB: a CUDA context (~300–500 MB), the `nano` model with its DeMo momentum and activations,
    /// and the owner's desktop that shares the card.
    public static final long MIN_VRAM_BYTES = 2L << 30;
    /// CUDA 11.x needs driver R450 or newer (minor-version compatibility starts at 450.80.02 / 452.39).
    public static final int MIN_DRIVER_MAJOR = 450;

    public static final String CPU_FALLBACK = "Hearth will train on your CPU (slower, still useful).";

    /// Said with every supported card while training runs on the CPU only (docs/benchmarks.md "GPU"): the owner
    /// must not read "supported" as "training on the GPU now".
    public static final String GPU_TRAINING_NOT_YET = "This version of Hearth still trains on your CPU; GPU training"
            + " comes with a later update.";

    /// What the probes found about one graphics card.
    ///
    /// @param nvidia            true for an NVIDIA card
    /// @param computeCapability "8.6", or "" when unknown (no NVML)
    /// @param driver            NVIDIA driver version, "" when unknown
    public record Card(String model, boolean nvidia, long vramBytes, String computeCapability, String driver) {}

    private GpuVerdict() {}

    /// @param cards    every card found (NVML devices, and OSHI's list for other vendors)
    /// @param gpuIndex the owner's choice (index into `cards`), or -1 to pick the best usable card
    /// @param nvmlProblem why NVML is unavailable ("" when it works), to explain an NVIDIA card without data
    public static GpuCheck check(List<Card> cards, int gpuIndex, String nvmlProblem) {
        if (gpuIndex >= 0 && gpuIndex < cards.size()) return judge(cards.get(gpuIndex), nvmlProblem);
        List<Card> nvidia = cards.stream().filter(Card::nvidia).toList();
        if (nvidia.isEmpty()) {
            Optional<Card> other = cards.stream().findFirst();
            return other.map(c -> new GpuCheck(c.model(), c.vramBytes(), "", "", false,
                            "Your " + c.model() + " is not supported — Hearth's GPU engine needs an NVIDIA card. " + CPU_FALLBACK))
                    .orElseGet(() -> new GpuCheck("no NVIDIA GPU found", 0, "", "", false, "No NVIDIA GPU found — " + CPU_FALLBACK));
        }
        // Automatic: the first usable card by compute capability, then VRAM; else the first NVIDIA card's verdict.
        List<GpuCheck> judged = nvidia.stream().map(c -> judge(c, nvmlProblem)).toList();
        return judged.stream().filter(GpuCheck::usable)
                .max(Comparator.comparingInt((GpuCheck g) -> tenths(g.computeCapability())).thenComparingLong(GpuCheck::vramBytes))
                .orElse(judged.getFirst());
    }

    static GpuCheck judge(Card c, String nvmlProblem) {
        if (!c.nvidia()) {
            return new GpuCheck(c.model(), c.vramBytes(), "", "", false,
                    "Your " + c.model() + " is not supported — Hearth's GPU engine needs an NVIDIA card. " + CPU_FALLBACK);
        }
        String cc = c.computeCapability();
        String vram = gib(c.vramBytes());
        if (cc.isEmpty()) {
            String why = nvmlProblem.isEmpty() ? "the driver did not report its compute capability" : nvmlProblem;
            return new GpuCheck(c.model(), c.vramBytes(), "", c.driver(), false,
                    "Found " + c.model() + ", but Hearth cannot talk to it (" + why + "). Install or update the NVIDIA driver to train on the GPU; until then "
                            + CPU_FALLBACK);
        }
        int driverMajor = driverMajor(c.driver());
        if (driverMajor > 0 && driverMajor < MIN_DRIVER_MAJOR) {
            return new GpuCheck(c.model(), c.vramBytes(), cc, c.driver(), false,
                    "Your " + c.model() + " needs a newer NVIDIA driver (you have " + c.driver() + ", Hearth needs " + MIN_DRIVER_MAJOR
                            + " or newer). Until you update, " + CPU_FALLBACK);
        }
        int t = tenths(cc);
        if (t < MIN_CC_TENTHS) {
            return new GpuCheck(c.model(), c.vramBytes(), cc, c.driver(), false,
                    "Your " + c.model() + " is too old for Hearth's GPU engine (compute capability " + cc + "; it needs 3.7 or newer). " + CPU_FALLBACK);
        }
        if (t > MAX_CC_TENTHS) {
            return new GpuCheck(c.model(), c.vramBytes(), cc, c.driver(), false,
                    "Your " + c.model() + " is newer than Hearth's GPU engine supports (compute capability " + cc
                            + "; the CUDA 11.6 engine runs up to 8.9). " + CPU_FALLBACK);
        }
        if (c.vramBytes() > 0 && c.vramBytes() < MIN_VRAM_BYTES) {
            return new GpuCheck(c.model(), c.vramBytes(), cc, c.driver(), false,
                    "Your " + c.model() + " has " + vram + " of memory; Hearth needs at least " + gib(MIN_VRAM_BYTES) + ". " + CPU_FALLBACK);
        }
        String extra = t > 86 ? " It runs Hearth's engine through binary compatibility with the RTX 30 series code." : "";
        return new GpuCheck(c.model(), c.vramBytes(), cc, c.driver(), true,
                "Your " + c.model() + " (" + vram + ", compute capability " + cc + ") is supported by Hearth's GPU engine."
                        + extra + " " + GPU_TRAINING_NOT_YET);
    }

    /// "8.6" → 86; "" or garbage → -1.
    static int tenths(String cc) {
        try {
            String[] p = cc.split("\\.");
            return Integer.parseInt(p[0]) * 10 + (p.length > 1 ? Integer.parseInt(p[1]) : 0);
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            return -1;
        }
    }

    static int driverMajor(String driver) {
        try {
            return Integer.parseInt(driver.split("\\.")[0].strip());
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            return -1;
        }
    }

    private static String gib(long bytes) {
        return dev.hearth.node.api.Units.bytes(bytes);
    }
}
