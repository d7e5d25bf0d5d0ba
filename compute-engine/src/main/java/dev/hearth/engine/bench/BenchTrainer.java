package dev.hearth.engine.bench;

import dev.hearth.engine.backend.BackendSelector;
import dev.hearth.engine.train.HostLocalTrainer;
import dev.hearth.engine.train.LocalTrainer;
import java.util.function.DoubleSupplier;

/// The {@link LocalTrainer} the engine benchmark times, with the way its peak memory is read: the product's own
/// trainers (the CPU engine behind {@link HostLocalTrainer}, the CUDA engine), opened as the node opens them.
final class BenchTrainer implements AutoCloseable {

    /// The asked-for backend cannot run on this machine; the message says why, in words.
    static final class UnavailableException extends Exception {
        UnavailableException(String why) {
            super(why);
        }
    }

    private final LocalTrainer trainer;
    private final String memoryMeasure;
    private final DoubleSupplier peakMemoryMb;

    private BenchTrainer(LocalTrainer trainer, String memoryMeasure, DoubleSupplier peakMemoryMb) {
        this.trainer = trainer;
        this.memoryMeasure = memoryMeasure;
        this.peakMemoryMb = peakMemoryMb;
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
                EngineBenchmark::peakRssMb);
    }

    private static BenchTrainer cuda(EngineBenchmark.Options o) throws UnavailableException {
        throw new UnavailableException("--backend cuda: this build has no CUDA engine yet (Hearth's CUDA trainer,"
                + " dev.hearth.engine.cuda.CudaLocalTrainer, is being written under issue 13)");
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
        trainer.close();
    }
}
