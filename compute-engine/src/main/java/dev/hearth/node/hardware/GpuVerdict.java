package dev.hearth.node.hardware;

import dev.hearth.engine.cuda.GpuChoice;
import dev.hearth.node.api.GpuCheck;
import dev.hearth.node.api.NodeSettings;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/// Whether this machine's GPU can run Hearth's GPU engine, in plain words: a pure function of what
/// the probes found, so every case is tested without the hardware.
///
/// The GPU engine is Hearth's own CUDA kernels, shipped as PTX for `compute_75` and compiled by the NVIDIA
/// driver for the card it runs on (docs/decisions/0002-cuda-through-ffm-and-ptx.md): every card of compute
/// capability 7.5 or newer (Turing, RTX 20 / GTX 16, through Blackwell, RTX 50) with a driver that loads PTX
/// ISA 7.8 (R520 or newer). The same rules as the trainer's own choice ({@link GpuChoice}); the trainer also
/// checks the card's free memory against the run's model, which is not known at first start.
public final class GpuVerdict {

    /// Oldest supported: Turing (compute capability 7.5), the PTX's target.
    public static final int MIN_CC_TENTHS = GpuChoice.MIN_CC_MAJOR * 10 + GpuChoice.MIN_CC_MINOR;
    /// 2 GiB: a CUDA context (~300–500 MB), the `nano` model with its DeMo momentum and activations,
    /// and the owner's desktop that shares the card.
    public static final long MIN_VRAM_BYTES = 2L << 30;
    /// The oldest driver release that loads Hearth's PTX (ISA 7.8 came with CUDA 11.8, driver R520).
    public static final int MIN_DRIVER_MAJOR = GpuChoice.MIN_DRIVER_RELEASE;

    public static final String CPU_FALLBACK = "Hearth will train on your CPU (slower, still useful).";

    /// Said with every usable card: the GPU engine is tested against the CPU engine on an emulator of the
    /// driver, but nobody has yet run it on a real card, so the owner must not read a speed into "usable".
    public static final String GPU_NOT_MEASURED = "Hearth trains on it whenever it has enough free memory for the"
            + " run's model (otherwise on the CPU, saying why). This GPU engine is new and has not yet been measured"
            + " on a real card.";

    /// What the probes found about one graphics card.
    ///
    /// @param nvidia            true for an NVIDIA card
    /// @param computeCapability "8.6", or "" when unknown (no NVML)
    /// @param driver            NVIDIA driver version, "" when unknown
    public record Card(String model, boolean nvidia, long vramBytes, String computeCapability, String driver) {}

    private GpuVerdict() {}

    /// @param cards    every card found (NVML devices, and OSHI's list for other vendors)
    /// @param gpuIndex the owner's choice (index into `cards`), -1 to pick the best usable card, or
    ///                 {@link NodeSettings#GPU_INDEX_CPU} when the owner chose the CPU
    /// @param nvmlProblem why NVML is unavailable ("" when it works), to explain an NVIDIA card without data
    public static GpuCheck check(List<Card> cards, int gpuIndex, String nvmlProblem) {
        if (gpuIndex == NodeSettings.GPU_INDEX_CPU) {
            String model = cards.isEmpty() ? "no GPU used" : cards.getFirst().model();
            return new GpuCheck(model, cards.isEmpty() ? 0 : cards.getFirst().vramBytes(), "", "", false,
                    "You chose to train on the CPU (settings); Hearth leaves the GPU alone.");
        }
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
                    "Your " + c.model() + " is too old for Hearth's GPU engine (compute capability " + cc + "; it needs "
                            + GpuChoice.MIN_CC_MAJOR + "." + GpuChoice.MIN_CC_MINOR + " or newer). " + CPU_FALLBACK);
        }
        if (c.vramBytes() > 0 && c.vramBytes() < MIN_VRAM_BYTES) {
            return new GpuCheck(c.model(), c.vramBytes(), cc, c.driver(), false,
                    "Your " + c.model() + " has " + vram + " of memory; Hearth needs at least " + gib(MIN_VRAM_BYTES) + ". " + CPU_FALLBACK);
        }
        return new GpuCheck(c.model(), c.vramBytes(), cc, c.driver(), true,
                "Your " + c.model() + " (" + vram + ", compute capability " + cc + ") can run Hearth's GPU engine. "
                        + GPU_NOT_MEASURED);
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
