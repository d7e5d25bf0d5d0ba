package dev.hearth.node.worker;

import dev.hearth.engine.backend.BackendSelector;
import dev.hearth.engine.checkpoint.Checkpoint;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.demo.DemoCompressor;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.SparseUpdate;
import dev.hearth.engine.demo.UpdateCodec;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.train.Batch;
import dev.hearth.engine.train.TrainingBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/// The trainer proper: parameters in, one DeMo-compressed update out. Runs inside the worker
/// child process ({@link WorkerMain}) or, for tests only, inside the node ({@link InProcessWorker}).
///
/// Its only state that matters is the DeMo residual (momentum): it is saved after every round and on
/// shutdown, so a killed or paused worker resumes without losing it.
public final class TrainerCore implements AutoCloseable {

    /// Progress callback: windows done of total.
    public interface Progress {
        void update(int done, int total);
    }

    static final String MOMENTUM_FILE = "momentum.bin";
    /// The state array holding the DeMo residual in {@link #MOMENTUM_FILE}.
    static final String MOMENTUM_STATE = "demo.momentum";

    /// The DeMo residual saved by {@link #saveState}.
    static float[] readMomentum(Path file, int size) throws IOException {
        float[] m = Checkpoint.read(file).state().get(MOMENTUM_STATE);
        if (m == null || m.length != size) {
            throw new IOException(file + " holds no DeMo residual for this model; delete it to start with a zero residual");
        }
        return m;
    }

    private final WorkerSpec spec;
    private final ModelConfig config;
    private final ParameterLayout layout;
    private final TrainingBackend backend;
    private final Corpus corpus;
    private final DemoCompressor compressor;
    private final ValueEncoding encoding;
    private final float[] grad;
    private final float[] microGrad;
    private float[] params;
    private long paramsVersion = -1;

    public TrainerCore(WorkerSpec spec) throws IOException {
        this.spec = spec;
        this.config = ModelConfig.byName(spec.model());
        this.layout = ParameterLayout.gpt(config);
        Files.createDirectories(spec.stateDir());
        this.backend = BackendSelector.select(config).backend();
        this.corpus = spec.corpus().equals("bundled")
                ? Corpus.bundled(spec.stateDir().resolve("corpus"))
                : Corpus.fromTextFiles(java.util.List.of(Path.of(spec.corpus())), spec.stateDir().resolve("corpus"));
        this.encoding = ValueEncoding.valueOf(spec.encoding());
        this.compressor = new DemoCompressor(layout, new DemoConfig(spec.beta(), spec.blockSize(), spec.topK(), encoding));
        this.grad = new float[layout.size()];
        this.microGrad = new float[layout.size()];
        Path momentum = spec.stateDir().resolve(MOMENTUM_FILE);
        if (Files.exists(momentum)) {
            compressor.restoreMomentum(readMomentum(momentum, layout.size()));
        }
    }

    public String backendDescription() {
        return backend.description();
    }

    public TrainResult train(TrainJob job, Progress progress) throws IOException {
        long start = System.nanoTime();
        if (params == null || paramsVersion != job.version()) {
            Checkpoint loaded = Checkpoint.read(job.paramsFile());
            if (loaded.metadata().version() != job.version()) {
                throw new IOException("parameters file holds version " + loaded.metadata().version() + ", job wants "
                        + job.version());
            }
            params = loaded.paramsFor(config, job.paramsFile().toString());
            paramsVersion = job.version();
        }
        long[] ids = job.batchIds();
        if (ids.length == 0) throw new IllegalArgumentException("round " + job.round() + ": no batches assigned");
        Arrays.fill(grad, 0f);
        double lossSum = 0;
        int done = 0;
        int micro = Math.max(1, spec.microBatch());
        while (done < ids.length) {
            int n = Math.min(micro, ids.length - done);
            Batch batch = corpus.batch(Arrays.copyOfRange(ids, done, done + n), config.context());
            float loss = backend.lossAndGradient(params, batch, microGrad);
            // Each micro-batch's gradient is a mean over its windows; weight it by its share of all windows.
            float w = (float) n / ids.length;
            for (int i = 0; i < grad.length; i++) grad[i] += w * microGrad[i];
            lossSum += (double) loss * n;
            done += n;
            progress.update(done, ids.length);
        }
        SparseUpdate update = compressor.compress(grad);
        byte[] payload = UpdateCodec.encode(update, encoding);
        saveState(job.round());
        long tokens = (long) ids.length * config.context();
        long millis = (System.nanoTime() - start) / 1_000_000;
        return new TrainResult(job.round(), payload, (float) (lossSum / ids.length), tokens, millis,
                4.0 * layout.size() / payload.length);
    }

    /// Persists the DeMo residual (atomically).
    public void saveState(long round) {
        try {
            new Checkpoint(new Checkpoint.Metadata(config.name(), ParameterLayout.FORMAT_VERSION, "trainer", round),
                    new float[0], java.util.Map.of(MOMENTUM_STATE, compressor.momentum()))
                    .write(spec.stateDir().resolve(MOMENTUM_FILE));
        } catch (IOException e) {
            throw new UncheckedIOException("could not save the optimizer state in " + spec.stateDir(), e);
        }
    }

    @Override
    public void close() {
        backend.close();
    }
}
