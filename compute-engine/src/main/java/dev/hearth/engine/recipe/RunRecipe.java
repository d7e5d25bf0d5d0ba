package dev.hearth.engine.recipe;

import com.google.protobuf.ByteString;
import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.OuterRule;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.protocol.wire.RunConfig;
import java.util.Objects;

/// Everything that defines a run's training, in one record: the model, the data and its order, DeMo's compression,
/// the outer step (with its inner optimizer), the rate schedule and the robust aggregation. The coordinator builds it
/// from run.toml (`coordinator.config.RunConfig`, which keeps the server's own settings apart: addresses, ports,
/// TLS, data dir, storage, ledger, quorum and deadlines) and sends it in `Welcome` ({@link #toWire}); the node reads
/// it back ({@link #fromWire}) and builds its trainer from it. These two methods are the only place the wire
/// `RunConfig` is written or read; each enum maps its own names ({@link ValueEncoding}, {@link RobustAggregation},
/// {@link OuterRule#byName}).
///
/// @param model            the model shape
/// @param totalRounds      committed versions after which the run finishes (the schedule's length)
/// @param dataSeed         seed of the data order (and of the model's initialisation)
/// @param sequencesPerNode windows (of `model.context` tokens) each node trains on per round
/// @param demo             DeMo's momentum decay, DCT blocking, top-k and value encoding
/// @param outer            the outer step and its settings (local steps, outer rate, weight decay)
/// @param lrMax            after warm-up: the sign step's rate, or the inner AdamW's with local steps
/// @param lrMin            the same rate at the start of warm-up and the end of the cosine decay
/// @param warmupRounds     rounds of linear warm-up from `lrMin` to `lrMax`
/// @param robust           how the coordinator guards the round's mean
/// @param data             the corpus's content id and the dataset manifest's SHA-256 ({@link DataIdentity#NOT_READ}
///                         until the coordinator has read the corpus)
public record RunRecipe(ModelConfig model, long totalRounds, long dataSeed, int sequencesPerNode, DemoConfig demo,
                        OuterRule outer, double lrMax, double lrMin, int warmupRounds, RobustAggregation robust,
                        DataIdentity data) {

    /// What the run trains on, by content: the node verifies every shard it reads against the manifest.
    ///
    /// @param corpusId       the corpus's content id (`Corpus.id`), shown to the node's owner
    /// @param manifestSha256 SHA-256 of the dataset manifest (32 bytes), or empty before the corpus is read
    public record DataIdentity(String corpusId, ByteString manifestSha256) {
        /// 32 bytes: a SHA-256.
        static final int SHA256_BYTES = 32;
        /// A recipe read from a config file, before the coordinator has read its corpus.
        public static final DataIdentity NOT_READ = new DataIdentity("", ByteString.EMPTY);

        public DataIdentity {
            Objects.requireNonNull(corpusId, "corpusId");
            Objects.requireNonNull(manifestSha256, "manifestSha256");
            if (!manifestSha256.isEmpty() && manifestSha256.size() != SHA256_BYTES) {
                throw new IllegalArgumentException("the dataset manifest's SHA-256 has " + manifestSha256.size()
                        + " bytes, not " + SHA256_BYTES);
            }
        }
    }

    /// Checks what holds across the fields (each field's own range is its type's: DemoConfig, OuterRule).
    ///
    /// @throws IllegalArgumentException naming the setting that does not fit
    public RunRecipe {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(demo, "demo");
        Objects.requireNonNull(outer, "outer");
        Objects.requireNonNull(robust, "robust");
        Objects.requireNonNull(data, "data");
        if (totalRounds < 1) {
            throw new IllegalArgumentException("a run needs at least 1 round, got " + totalRounds);
        }
        if (sequencesPerNode < Math.max(1, outer.localSteps())) {
            throw new IllegalArgumentException("sequences per node must be at least the local steps ("
                    + Math.max(1, outer.localSteps()) + "): every inner step needs a window, got " + sequencesPerNode);
        }
        if (!(lrMax > 0 && lrMin >= 0 && lrMin <= lrMax) || warmupRounds < 0) {
            throw new IllegalArgumentException("the rate schedule needs 0 <= lr_min <= lr_max, lr_max > 0 and warm-up"
                    + " >= 0, got " + lrMax + ", " + lrMin + ", " + warmupRounds);
        }
        outer.requireSupported(robust.mode());
    }

    /// This recipe with the identity of the data the coordinator read.
    public RunRecipe withData(DataIdentity read) {
        return new RunRecipe(model, totalRounds, dataSeed, sequencesPerNode, demo, outer, lrMax, lrMin, warmupRounds,
                robust, read);
    }

    /// The run's DCT blocking of `layout` (what updates are compressed and steps laid out by): one function, so that
    /// every copy of the model lays a step out the same way and reaches the coordinator's SHA-256 bit for bit.
    public DemoBlocking blocking(ParameterLayout layout) {
        return new DemoBlocking(layout, demo);
    }

    /// The recipe as `Welcome.config` carries it.
    public RunConfig toWire() {
        RunConfig.Builder wire = RunConfig.newBuilder()
                .setModel(model.name())
                .setSequencesPerBatch(sequencesPerNode)
                .setDemoBeta(demo.beta())
                .setDemoBlockSize(demo.blockSize())
                .setDemoTopK(demo.topK())
                .setValueEncoding(demo.encoding().toWire())
                .setLrMax(lrMax)
                .setLrMin(lrMin)
                .setWarmupRounds(warmupRounds)
                .setTotalRounds(totalRounds)
                .setDataSeed(dataSeed)
                .setRobustAggregation(robust.toWire())
                .setCorpusId(data.corpusId())
                .setDatasetManifestSha256(data.manifestSha256());
        return outer.describe(wire).build(); // outer_step, local_steps, outer_lr, weight_decay
    }

    /// The recipe a run's wire config carries.
    ///
    /// @throws IllegalArgumentException naming what this version of Hearth cannot train: an unknown model, value
    ///                                  encoding, outer step or robust aggregation (a newer coordinator's), or settings
    ///                                  out of range
    public static RunRecipe fromWire(RunConfig wire) {
        ModelConfig model = ModelConfig.byName(wire.getModel());
        DemoConfig demo = new DemoConfig((float) wire.getDemoBeta(), wire.getDemoBlockSize(), wire.getDemoTopK(),
                ValueEncoding.fromWire(wire.getValueEncodingValue()));
        return new RunRecipe(model, wire.getTotalRounds(), wire.getDataSeed(), wire.getSequencesPerBatch(), demo,
                OuterRule.fromWire(wire), wire.getLrMax(), wire.getLrMin(), wire.getWarmupRounds(),
                RobustAggregation.fromWire(wire.getRobustAggregationValue()),
                new DataIdentity(wire.getCorpusId(), wire.getDatasetManifestSha256()));
    }
}
