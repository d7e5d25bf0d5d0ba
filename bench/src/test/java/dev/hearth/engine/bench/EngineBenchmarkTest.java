package dev.hearth.engine.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.data.Batch;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.model.GptCpuBackend;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.Sgemm;
import dev.hearth.engine.train.AdamW;
import dev.hearth.engine.train.HostLocalTrainer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EngineBenchmarkTest {

    @Test
    void helpAsksForUsage() {
        assertNull(EngineBenchmark.parse(new String[] {"--help"}));
    }

    @Test
    void qualityModeDefaultsTo300StepsWithValidation() {
        var o = EngineBenchmark.parse(new String[] {"--quality", "--threads", "2"});
        assertEquals(300, o.steps());
        assertTrue(o.valBatches() > 0);
        assertEquals(2, o.threads());
        assertEquals("nano", o.model().name());
    }

    @Test
    void rejectsUnknownOptionsAndMissingValues() {
        assertThrows(IllegalArgumentException.class, () -> EngineBenchmark.parse(new String[] {"--fast"}));
        assertThrows(IllegalArgumentException.class, () -> EngineBenchmark.parse(new String[] {"--steps"}));
        assertThrows(IllegalArgumentException.class,
                () -> EngineBenchmark.parse(new String[] {"--steps", "3", "--warmup", "5"}));
    }

    @Test
    void packedBatchRoundTripsThroughCorpusFromBytes() {
        Batch b = new Batch(2, 3, new int[] {1, 2, 3, 10, 20, 30}, new int[] {2, 3, 4, 20, 30, 255});
        Batch back = Corpus.fromBytes(EngineBenchmark.packed(b), 3);
        assertArrayEquals(b.inputs(), back.inputs());
        assertArrayEquals(b.targets(), back.targets());
    }

    @Test
    void medianOfEvenAndOddCounts() {
        assertEquals(2.0, EngineBenchmark.median(new double[] {3, 1, 2}));
        assertEquals(2.5, EngineBenchmark.median(new double[] {4, 1, 2, 3}));
    }

    @Test
    void defaultsAreTheCpuAtFp32WithTheWholeBatchAtOnce() {
        var o = EngineBenchmark.parse(new String[] {});
        assertEquals(EngineBenchmark.Backend.CPU, o.backend());
        assertEquals("fp32", o.precision());
        assertEquals(o.batch(), o.microBatch());
        assertTrue(Double.isNaN(o.peakTflops()));
    }

    @Test
    void cudaOptionsAreRead() {
        var o = EngineBenchmark.parse(new String[] {"--backend", "cuda", "--model", "gpt2-small", "--precision", "bf16",
                "--batch", "8", "--micro-batch", "4", "--peak-tflops", "989", "--device", "1", "--json", "r.json"});
        assertEquals(EngineBenchmark.Backend.CUDA, o.backend());
        assertEquals(ModelConfig.gpt2Small(), o.model());
        assertEquals("bf16", o.precision());
        assertEquals(4, o.microBatch());
        assertEquals(989.0, o.peakTflops());
        assertEquals(1, o.device());
        assertEquals("r.json", o.json().toString());
    }

    @Test
    void refusesPrecisionsTheCpuDoesNotHaveAndMicroBatchesThatDoNotDivide() {
        var cpuBf16 = assertThrows(IllegalArgumentException.class,
                () -> EngineBenchmark.parse(new String[] {"--precision", "bf16"}));
        assertTrue(cpuBf16.getMessage().contains("needs --backend cuda"), cpuBf16.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> EngineBenchmark.parse(new String[] {"--backend", "cuda", "--precision", "fp16"}));
        assertThrows(IllegalArgumentException.class, () -> EngineBenchmark.parse(new String[] {"--backend", "rocm"}));
        assertThrows(IllegalArgumentException.class,
                () -> EngineBenchmark.parse(new String[] {"--batch", "16", "--micro-batch", "5"}));
    }

    @Test
    void cudaOpensTheCudaTrainerOrSaysWhyItCannot() {
        var o = EngineBenchmark.parse(new String[] {"--backend", "cuda"});
        try (BenchTrainer t = BenchTrainer.open(o)) { // a machine with a card
            assertTrue(t.trainer().description().startsWith("CUDA on"), t.trainer().description());
            assertTrue(t.peakMemoryMb() > 0, "the trainer holds VRAM");
        } catch (BenchTrainer.UnavailableException e) { // no driver, or a driver without a GPU (CI)
            assertTrue(e.getMessage().startsWith("--backend cuda: "), e.getMessage());
        }
    }

    @Test
    void tensorCorePrecisionsAreRefusedWhileHearthHasOnlyFp32() {
        var o = EngineBenchmark.parse(new String[] {"--backend", "cuda", "--precision", "tf32"});
        var e = assertThrows(BenchTrainer.UnavailableException.class, () -> BenchTrainer.open(o));
        assertEquals("--precision tf32: Hearth's CUDA engine has only its fp32 path so far, and the two sides must"
                + " compute at the same precision", e.getMessage());
    }

    @Test
    void trainingFlopsPerTokenIsSixPerMultiplyingWeightPlusAttention() {
        // nano: 875,264 parameters less wte 256·128 and wpe 128·128; attention 12·4 layers·128 T·128 C
        assertEquals(6.0 * (875_264 - 32_768 - 16_384) + 12.0 * 4 * 128 * 128,
                EngineBenchmark.trainingFlopsPerToken(ModelConfig.nano()));
        // gpt2-small: 86,235,648 less 256·768 and 1024·768 → ~0.62 GFLOP per token
        assertEquals(6.0 * (86_235_648 - 196_608 - 786_432) + 12.0 * 12 * 1024 * 768,
                EngineBenchmark.trainingFlopsPerToken(ModelConfig.gpt2Small()));
        assertEquals(0.5, EngineBenchmark.mfu(1e6, 1e6, 2), 1e-12);
        assertTrue(Double.isNaN(EngineBenchmark.mfu(1e6, 1e6, Double.NaN)));
    }

    @Test
    void microBatchesAccumulateTheWholeBatchsLossAndGradient() {
        ModelConfig cfg = new ModelConfig("tiny", 1, 16, 2, 8, ModelConfig.BYTE_VOCAB);
        float[] init = GptInit.init(cfg, 7);
        Random rnd = new Random(3);
        int[] in = new int[4 * 8];
        int[] tg = new int[4 * 8];
        for (int i = 0; i < in.length; i++) {
            in[i] = rnd.nextInt(256);
            tg[i] = rnd.nextInt(256);
        }
        Batch batch = new Batch(4, 8, in, tg);
        float[] whole = new float[init.length];
        float[] parts = new float[init.length];
        double wholeLoss;
        double partsLoss;
        try (var t = new HostLocalTrainer(new GptCpuBackend(cfg, Sgemm.plainJava(), 1, "test"), AdamW.Settings.defaults())) {
            t.load(init);
            t.zeroGradient();
            wholeLoss = EngineBenchmark.accumulate(t, batch, 4);
            t.readGradient(whole);
            t.zeroGradient();
            partsLoss = EngineBenchmark.accumulate(t, batch, 2);
            t.readGradient(parts);
        }
        assertEquals(wholeLoss, partsLoss, 1e-5 * wholeLoss);
        double max = 0;
        double diff = 0;
        for (int i = 0; i < whole.length; i++) {
            max = Math.max(max, Math.abs(whole[i]));
            diff = Math.max(diff, Math.abs(whole[i] - parts[i]));
        }
        assertTrue(max > 0 && diff <= 1e-5 * max, "max |Δg| " + diff + " of max |g| " + max);
    }

    @Test
    void sliceKeepsTheChosenWindows() {
        Batch b = new Batch(3, 2, new int[] {1, 2, 3, 4, 5, 6}, new int[] {2, 3, 4, 5, 6, 7});
        Batch mid = EngineBenchmark.slice(b, 1, 3);
        assertArrayEquals(new int[] {3, 4, 5, 6}, mid.inputs());
        assertArrayEquals(new int[] {4, 5, 6, 7}, mid.targets());
    }

    @Test
    void anUnavailableBackendIsReportedAsJsonWithItsReason() throws Exception {
        var o = EngineBenchmark.parse(new String[] {"--backend", "cuda", "--model", "small"});
        JsonNode j = new ObjectMapper().readTree(BenchReport.unavailable(o, "no GPU (\"CUDA_ERROR_NO_DEVICE\")"));
        assertEquals("unavailable", j.get("status").asText());
        assertEquals("no GPU (\"CUDA_ERROR_NO_DEVICE\")", j.get("reason").asText());
        assertEquals("small", j.get("model").asText());
        assertEquals(10_942_464, j.get("parameters").asInt());
        assertEquals("cuda", j.get("backend").asText());
        assertTrue(j.get("peakTflops").isNull());
    }

    @Test
    void aMeasuredReportIsJsonWithUnmeasuredFiguresAsNull() throws Exception {
        var o = EngineBenchmark.parse(new String[] {"--peak-tflops", "0.2"});
        var r = new BenchReport(o, "CPU", "peak RSS", 5.7e6);
        r.hearth(1000, new EngineBenchmark.Result(1000, 900, 3.2, 5.5, Double.NaN, 300), 0.0285);
        r.pytorch("{\"tokensPerSecond\": 800.0, \"peakRssMb\": NaN}", 800, Double.NaN, 0.0228);
        r.gradientCheck(5.5, 5.5, "wte", 1e-6);
        JsonNode j = new ObjectMapper().readTree(r.json());
        assertEquals("ok", j.get("status").asText());
        assertEquals(1000.0, j.get("hearth").get("tokensPerSecond").asDouble());
        assertTrue(j.get("hearth").get("validationLoss").isNull());
        assertTrue(j.get("pytorch").get("result").get("peakRssMb").isNull());
        assertEquals(1.25, j.get("ratio").get("speed").asDouble());
        assertTrue(j.get("ratio").get("peakMemory").isNull());
        assertEquals("wte", j.get("gradientCheck").get("worstTensor").asText());
    }
}
