package dev.hearth.engine.bench;

import dev.hearth.engine.backend.BackendSelector;
import dev.hearth.engine.cuda.CudaContext;
import dev.hearth.engine.cuda.CudaDriver;
import dev.hearth.engine.cuda.CudaException;
import dev.hearth.engine.cuda.CudaLocalTrainer;
import dev.hearth.engine.cuda.CudaUnavailableException;
import dev.hearth.engine.cuda.DeviceInfo;
import dev.hearth.engine.train.HostLocalTrainer;
import dev.hearth.engine.train.LocalTrainer;
import java.util.function.DoubleSupplier;

/// The {@link LocalTrainer} the engine benchmark times, with the way its peak memory is read: the product's own
/// trainers (the CPU engine behind {@link HostLocalTrainer}, {@link CudaLocalTrainer}), opened as the node will.
///
/// VRAM on the GPU is the card's used memory (`cuMemGetInfo`) less the same with only this process's context
/// open, read after the steps: the CUDA trainer allocates its buffers once per shape and keeps them for its life,
/// so that is its peak.
///
/// One per benchmark round: closing it gives the card's memory back before PyTorch runs on the same card.
final class BenchTrainer implements AutoCloseable {

    /// 2^20: memory figures are MiB on both sides (`torch.cuda.max_memory_allocated() / 2**20` on PyTorch's).
    private static final double MIB = 1024.0 * 1024.0;

    /// The asked-for backend cannot run on this machine; the message says why, in words.
    static final class UnavailableException extends Exception {
        UnavailableException(String why) {
            super(why);
        }
    }

    private final LocalTrainer trainer;
    private final String memoryMeasure;
    private final DoubleSupplier peakMemoryMb;
    private final AutoCloseable after;
    private boolean closed;

    private BenchTrainer(LocalTrainer trainer, String memoryMeasure, DoubleSupplier peakMemoryMb, AutoCloseable after) {
        this.trainer = trainer;
        this.memoryMeasure = memoryMeasure;
        this.peakMemoryMb = peakMemoryMb;
        this.after = after;
    }

    static BenchTrainer open(EngineBenchmark.Options o) throws UnavailableException {
        return switch (o.backend()) {
            case CPU -> cpu(o);
            case CUDA -> cuda(o);
        };
    }

    private static BenchTrainer cpu(EngineBenchmark.Options o) {
        var selection = BackendSelector.select(o.model(), o.threads());
        return new BenchTrainer(new HostLocalTrainer(selection.backend(), o.adam()), "peak RSS",
                EngineBenchmark::peakRssMb, null);
    }

    private static BenchTrainer cuda(EngineBenchmark.Options o) throws UnavailableException {
        if (!o.precision().equals("fp32")) {
            throw new UnavailableException("--precision " + o.precision() + ": Hearth's CUDA engine has only its fp32"
                    + " path so far, and the two sides must compute at the same precision");
        }
        CudaDriver driver;
        try {
            driver = CudaDriver.load();
        } catch (CudaUnavailableException e) {
            throw new UnavailableException("--backend cuda: " + e.getMessage());
        }
        int count = driver.deviceCount();
        if (o.device() >= count) {
            throw new UnavailableException("--backend cuda: no CUDA device " + o.device() + " (the driver sees "
                    + count + ")");
        }
        DeviceInfo card = driver.device(o.device());
        // The context first, so that its own memory (and the driver's reserve) is in the baseline, as it is outside
        // torch.cuda.max_memory_allocated on the other side.
        CudaContext baseline = driver.open(o.device());
        long usedBefore = baseline.memInfo().usedBytes();
        CudaLocalTrainer trainer;
        try {
            trainer = CudaLocalTrainer.open(driver, o.device(), o.model(), o.microBatch(), o.adam());
        } catch (CudaException e) {
            baseline.close();
            if (e.isOutOfMemory()) {
                throw new UnavailableException("--backend cuda: " + card.name() + " has too little free memory for "
                        + o.model().name() + " at micro-batch " + o.microBatch() + " (" + e.getMessage()
                        + "); try a smaller --micro-batch");
            }
            throw e;
        } catch (RuntimeException e) {
            baseline.close();
            throw e;
        }
        return new BenchTrainer(trainer, "peak VRAM (cuMemGetInfo, held by the trainer)",
                () -> (baseline.memInfo().usedBytes() - usedBefore) / MIB, baseline);
    }

    LocalTrainer trainer() {
        return trainer;
    }

    /// What {@link #peakMemoryMb()} measures, for the printed line (`peak RSS`, `peak VRAM (…)`).
    String memoryMeasure() {
        return memoryMeasure;
    }

    /// The peak memory so far, MB (2^20 bytes).
    double peakMemoryMb() {
        return peakMemoryMb.getAsDouble();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            trainer.close();
        } finally {
            if (after != null) {
                try {
                    after.close();
                } catch (Exception e) {
                    throw new IllegalStateException("closing the benchmark's device context: " + e.getMessage(), e);
                }
            }
        }
    }
}
