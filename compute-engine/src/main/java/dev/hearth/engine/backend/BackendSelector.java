package dev.hearth.engine.backend;

import dev.hearth.engine.model.GptCpuBackend;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.Sgemm;
import dev.hearth.engine.train.TrainingBackend;
import java.util.ArrayList;
import java.util.List;

/// Chooses where training runs and says why, in words an owner can read.
///
/// Today the engine's kernels are CPU kernels (hand-written GPT forward/backward over OpenBLAS, see
/// {@link GptCpuBackend}); the CUDA side only gets as far as deciding whether the card could be used by
/// ND4J's CUDA build (`-Pcuda`), which is reported so the owner knows what their GPU would need.
public final class BackendSelector {

    /// Class present only when the `cuda` Maven profile put nd4j-cuda-11.6 on the classpath.
    static final String CUDA_BACKEND_CLASS = "org.nd4j.linalg.jcublas.JCublasBackend";

    /// The chosen backend and the sentence shown to the owner.
    public record Selection(TrainingBackend backend, String description) {
    }

    private BackendSelector() {
    }

    /// The backend for `config` on this machine, using every available processor.
    public static Selection select(ModelConfig config) {
        return select(config, Runtime.getRuntime().availableProcessors());
    }

    /// The backend for `config` on this machine, with `threads` CPU threads for its kernels.
    public static Selection select(ModelConfig config, int threads) {
        return select(config, threads, GpuProbe.probe(), cudaOnClasspath());
    }

    static Selection select(ModelConfig config, GpuProbe.Result gpus, boolean cudaOnClasspath) {
        return select(config, Runtime.getRuntime().availableProcessors(), gpus, cudaOnClasspath);
    }

    static Selection select(ModelConfig config, int threads, GpuProbe.Result gpus, boolean cudaOnClasspath) {
        String gpuWords = gpuWords(gpus, cudaOnClasspath);
        var blas = OpenBlasSgemm.load();
        Sgemm sgemm = blas.isPresent() ? blas.get() : Sgemm.plainJava();
        String cpu = "CPU (" + threads + " of " + Runtime.getRuntime().availableProcessors()
                + " cores), matrix multiplies on " + sgemm.description();
        String description = gpuWords + "; training on " + cpu;
        return new Selection(new GptCpuBackend(config, sgemm, threads, description), description);
    }

    /// Why the GPU is not used, for every case from "no driver" to "supported card".
    static String gpuWords(GpuProbe.Result result, boolean cudaOnClasspath) {
        if (result.gpus().isEmpty()) {
            return result.problem().orElse("no NVIDIA GPU found");
        }
        List<String> parts = new ArrayList<>();
        for (GpuProbe.Gpu g : result.gpus()) {
            var v = GpuSupport.verdict(g.name(), g.major(), g.minor());
            if (!v.usable()) {
                parts.add(v.reason());
            } else if (!cudaOnClasspath) {
                parts.add(v.reason() + ", but this build has no CUDA backend (build with -Pcuda)");
            } else {
                parts.add(v.reason() + ", but Hearth's GPU kernels are not written yet");
            }
        }
        return String.join("; ", parts);
    }

    static boolean cudaOnClasspath() {
        try {
            Class.forName(CUDA_BACKEND_CLASS, false, BackendSelector.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
