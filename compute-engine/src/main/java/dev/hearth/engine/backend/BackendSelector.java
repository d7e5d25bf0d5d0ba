package dev.hearth.engine.backend;

import dev.hearth.engine.cuda.ByteSize;
import dev.hearth.engine.cuda.CudaDriver;
import dev.hearth.engine.cuda.CudaException;
import dev.hearth.engine.cuda.CudaLocalTrainer;
import dev.hearth.engine.cuda.CudaUnavailableException;
import dev.hearth.engine.cuda.GpuChoice;
import dev.hearth.engine.cuda.VramBudget;
import dev.hearth.engine.model.GptCpuBackend;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.Sgemm;
import dev.hearth.engine.model.TrainingBackend;
import dev.hearth.engine.train.AdamW;
import dev.hearth.engine.train.HostLocalTrainer;
import dev.hearth.engine.train.LocalTrainer;
import java.util.Optional;
import java.util.function.Consumer;

/// Chooses where training runs and says why, in words an owner can read.
///
/// The trainer worker asks for a {@link LocalTrainer} ({@link #select(DeviceSetting, int)}): a
/// {@link CudaLocalTrainer} on the card {@link GpuChoice} picks from the driver's answers, at the largest
/// micro-batch whose exact device allocation ({@link #cudaBytes}) fits the card's free memory less the desktop's
/// margin, or a {@link HostLocalTrainer} over the CPU engine ({@link GptCpuBackend}) with GpuChoice's reason. Running
/// out of device memory while opening halves the micro-batch down to 1, then trains on the CPU
/// ({@link #afterOutOfMemory} does the same for an out-of-memory in mid-round).
///
/// The coordinator's evaluator and the benchmarks want the CPU engine itself ({@link #select(ModelConfig)}).
///
/// Not thread-safe: one per trainer.
public final class BackendSelector {

    /// The CPU engine and the sentence shown to the owner.
    public record Selection(TrainingBackend backend, String description) {
    }

    /// The worker's trainer, where it runs and why (`description`, for the first-start screen, the dashboard,
    /// `./hearth status` and the log), and the micro-batch it trains at.
    public record TrainerSelection(LocalTrainer trainer, String description, Optional<GpuChoice.Card> card,
                                   int microBatch) {

        public boolean onGpu() {
            return card.isPresent();
        }
    }

    /// Where the CUDA driver comes from: the one the NVIDIA driver installed ({@link #INSTALLED_DRIVER}) or, in
    /// tests, the CPU emulator of it.
    @FunctionalInterface
    public interface DriverSource {
        CudaDriver load() throws CudaUnavailableException;
    }

    public static final DriverSource INSTALLED_DRIVER = CudaDriver::load;

    private final ModelConfig config;
    private final AdamW.Settings inner;
    private final boolean localSteps;
    private final int threads;
    private final DriverSource drivers;
    private final Consumer<String> log;
    private CudaDriver driver;
    private int askedMicroBatch = 1;

    /// @param inner      the inner AdamW's settings for the trainer
    /// @param localSteps whether the run takes inner AdamW steps (then the card also holds the two moments)
    /// @param log        where the choice and any fallback are written (the worker's log)
    public BackendSelector(ModelConfig config, AdamW.Settings inner, boolean localSteps, int threads,
                           DriverSource drivers, Consumer<String> log) {
        this.config = config;
        this.inner = inner;
        this.localSteps = localSteps;
        this.threads = threads;
        this.drivers = drivers;
        this.log = log;
    }

    /// The CPU engine for `config` on this machine, using every available processor.
    public static Selection select(ModelConfig config) {
        return select(config, Runtime.getRuntime().availableProcessors());
    }

    /// The CPU engine for `config` on this machine, with `threads` CPU threads for its kernels.
    public static Selection select(ModelConfig config, int threads) {
        String description = "training on " + cpuWords(threads, sgemm());
        return new Selection(new GptCpuBackend(config, sgemm(), threads, description), description);
    }

    /// What the CUDA trainer allocates for `config` at `microBatch` windows, exactly: θ, start θ, two gradients
    /// and the activations ({@link CudaLocalTrainer#deviceBytes}), the AdamW moments when the run takes local
    /// steps, and {@link VramBudget#WORKSPACE_BYTES} for the loaded modules, staging and allocator rounding.
    public static long cudaBytes(ModelConfig config, int microBatch, boolean localSteps) {
        return CudaLocalTrainer.deviceBytes(config, microBatch)
                + (localSteps ? CudaLocalTrainer.momentBytes(config) : 0) + VramBudget.WORKSPACE_BYTES;
    }

    /// The decision alone, from the driver's answers (pure: tests fake the answers).
    public static GpuChoice.Decision decide(GpuChoice.Answers answers, DeviceSetting device, ModelConfig config,
                                            int maxMicroBatch, boolean localSteps) {
        return GpuChoice.decide(answers, device.choiceSettings(), maxMicroBatch,
                b -> cudaBytes(config, b, localSteps));
    }

    /// The trainer for `device` at up to `maxMicroBatch` windows per pass. Never throws for want of a GPU: every
    /// failure to use one (no driver, an old driver or card, too little memory, a failing context) ends on the
    /// CPU with the reason.
    public TrainerSelection select(DeviceSetting device, int maxMicroBatch) {
        askedMicroBatch = Math.max(1, maxMicroBatch);
        GpuChoice.Decision decision = decide(answers(device), device, config, askedMicroBatch, localSteps);
        if (!decision.onGpu()) {
            return cpu(decision.reason());
        }
        return openCuda(decision.card().orElseThrow(), decision.microBatch(), decision.reason());
    }

    /// After the GPU trainer of `failed` ran out of memory (`error`) and was closed: the same card at half the
    /// micro-batch, or the CPU once the micro-batch was 1. The CPU stays chosen for this selector's life (the
    /// worker's), since a card that cannot hold one window will not start holding it mid-run.
    public TrainerSelection afterOutOfMemory(TrainerSelection failed, CudaException error) {
        GpuChoice.Card card = failed.card().orElseThrow(() -> new IllegalStateException(
                "out of GPU memory reported for a trainer on the CPU: " + error.getMessage()));
        if (failed.microBatch() <= 1) {
            return outOfMemoryOnCpu(card, error);
        }
        int half = failed.microBatch() / 2;
        String why = "ran out of GPU memory at micro-batch " + failed.microBatch() + " (" + error.getMessage()
                + "); retrying at micro-batch " + half;
        log.accept(card.name() + " " + why);
        return openCuda(card, half, "training on " + described(card) + " at micro-batch " + half + ": " + why);
    }

    private GpuChoice.Answers answers(DeviceSetting device) {
        if (device.forceCpu()) {
            // no cuInit at all: an owner who chose the CPU may have a driver that misbehaves
            return GpuChoice.Answers.unavailable("not asked");
        }
        try {
            driver = drivers.load();
        } catch (CudaUnavailableException e) {
            return GpuChoice.Answers.unavailable(e.getMessage());
        }
        try {
            GpuChoice.Answers a = GpuChoice.ask(driver, Optional.empty());
            if (a.cudaVersion() < GpuChoice.MIN_CUDA_VERSION) {
                // the driver's release number (R515 …) reads better than its CUDA version: ask nvidia-smi for it
                Optional<String> release = GpuProbe.probe().gpus().stream().map(GpuProbe.Gpu::driver).findFirst();
                a = GpuChoice.Answers.of(a.cudaVersion(), release, a.cards());
            }
            return a;
        } catch (RuntimeException e) {
            return GpuChoice.Answers.unavailable("the CUDA driver failed while describing the GPUs ("
                    + e.getMessage() + ")");
        }
    }

    /// Opens the CUDA trainer at `microBatch`, halving it on out-of-memory down to 1, then the CPU.
    private TrainerSelection openCuda(GpuChoice.Card card, int microBatch, String reason) {
        int b = microBatch;
        String words = reason;
        while (true) {
            try {
                CudaLocalTrainer trainer = CudaLocalTrainer.open(driver, card.ordinal(), config, b, inner);
                log.accept(words);
                return new TrainerSelection(trainer, words, Optional.of(card), b);
            } catch (CudaException e) {
                if (!e.isOutOfMemory()) {
                    return cpu("could not start training on " + described(card) + " (" + e.getMessage()
                            + "); training on the CPU");
                }
                if (b == 1) {
                    return outOfMemoryOnCpu(card, e);
                }
                int half = b / 2;
                String why = "ran out of GPU memory opening micro-batch " + b + " (" + e.getMessage()
                        + "); trying micro-batch " + half;
                log.accept(card.name() + " " + why);
                words = "training on " + described(card) + " at micro-batch " + half + ": " + why;
                b = half;
            } catch (RuntimeException e) {
                return cpu("could not start training on " + described(card) + " (" + e + "); training on the CPU");
            }
        }
    }

    private TrainerSelection outOfMemoryOnCpu(GpuChoice.Card card, CudaException e) {
        return cpu("ran out of GPU memory on " + described(card) + " even at micro-batch 1 (" + e.getMessage()
                + ", " + ByteSize.format(cudaBytes(config, 1, localSteps)) + " needed); training on the CPU until"
                + " the trainer restarts");
    }

    private TrainerSelection cpu(String reason) {
        Sgemm sgemm = sgemm();
        String description = reason + " (" + cpuDetail(threads, sgemm) + ")";
        log.accept(description);
        var backend = new GptCpuBackend(config, sgemm, threads, description);
        return new TrainerSelection(new HostLocalTrainer(backend, inner), description, Optional.empty(),
                askedMicroBatch);
    }

    private static String described(GpuChoice.Card card) {
        return card.name() + " (compute capability " + card.ccMajor() + "." + card.ccMinor() + ")";
    }

    private static Sgemm sgemm() {
        var blas = OpenBlasSgemm.load();
        return blas.isPresent() ? blas.get() : Sgemm.plainJava();
    }

    private static String cpuWords(int threads, Sgemm sgemm) {
        return "the CPU (" + cpuDetail(threads, sgemm) + ")";
    }

    private static String cpuDetail(int threads, Sgemm sgemm) {
        return threads + " of " + Runtime.getRuntime().availableProcessors() + " cores, matrix multiplies on "
                + sgemm.description();
    }
}
