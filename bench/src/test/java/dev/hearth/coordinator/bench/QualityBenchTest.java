package dev.hearth.coordinator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.demo.ValueEncoding;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class QualityBenchTest {

    @Test
    void sweepItemsTakePositionalFieldsThenKeys() {
        List<QualityBench.Sweep> sweeps = QualityBench.sweeps(
                "8:sign:0.999:0.012:0.0012:block=32:wd=0.1,16:fp16:0.9:0.003", 200);

        QualitySimulation.Setting first = sweeps.get(0).setting();
        assertEquals(8, first.demo().topK());
        assertEquals(32, first.demo().blockSize());
        assertEquals(ValueEncoding.SIGN_1BIT, first.demo().encoding());
        assertEquals(0.012, first.lr().lrMax(), 1e-12);
        assertEquals(0.0012, first.lr().lrMin(), 1e-12);
        assertEquals(0.1, first.weightDecay(), 1e-12);
        QualitySimulation.Setting second = sweeps.get(1).setting();
        assertEquals(ValueEncoding.FP16, second.demo().encoding());
        assertEquals(0.0003, second.lr().lrMin(), 1e-12, "lr_min defaults to lr_max / 10");
        assertEquals(64, second.demo().blockSize());
        assertEquals(QualitySimulation.Experiments.NONE, second.experiments(), "plain DeMo unless a key says otherwise");
    }

    @Test
    void experimentKeysFillTheExperiments() {
        QualitySimulation.Experiments x = QualityBench.sweeps(
                "8:sign:0.999:0.012:0.0012:0.5:lion=0.9/0.99:adam=0.999:ef=true:pre=0.95", 200).getFirst()
                .setting().experiments();
        assertEquals(new QualitySimulation.Experiments(0.5, 0.95, true, 0.999, 0.9, 0.99, false, false), x);
    }

    @Test
    void theMeanStepItemCountsOuterRoundsAndItsInnerSchedule() {
        QualitySimulation.Setting s = QualityBench.sweeps(
                "64:sign:0.999:0.001:0.0001:outer=mean:h=4:olr=1.5:wd=0.1", 200).getFirst().setting();
        assertEquals(new QualitySimulation.Mean(4, 1.5), s.mean());
        assertEquals(50, s.lr().total(), "200 baseline steps are 50 rounds of 4 local steps");
        assertEquals(0.001, s.lr().lrMax(), 1e-12);
        assertEquals(0.1, s.weightDecay(), 1e-12);
        var e = assertThrows(IllegalArgumentException.class,
                () -> QualityBench.sweeps("64:sign:0.999:0.001:outer=mean:h=3", 200));
        assertTrue(e.getMessage().contains("h=3"), e.getMessage());
    }

    @Test
    void theChosenSettingIsTheRunDefaultsMeanStep() {
        QualitySimulation.Setting s = QualityBench.chosen(200).setting();
        assertEquals(new QualitySimulation.Mean(8, 1.5), s.mean());
        assertEquals(64, s.demo().topK());
    }

    @Test
    void anUnknownSweepKeyIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QualityBench.sweeps("8:sign:0.999:0.012:blocks=32", 200));
        assertTrue(e.getMessage().contains("blocks"), e.getMessage());
    }

    @Test
    void preconditioningTheFirstStepGivesTheSignOfTheGradient() {
        float[] g = {0.5f, -2e-3f, 7f};
        QualitySimulation.precondition(g, new float[3], 0.99f, 1);
        assertEquals(1f, g[0], 1e-5f);
        assertEquals(-1f, g[1], 1e-4f);
        assertEquals(1f, g[2], 1e-5f);
    }

    @Test
    void adamTernaryStepsWithProbabilityOfTheNormalisedDirection() {
        int n = 20_000;
        float[] v = new float[n];
        float[] d = new float[n];
        SplittableRandom random = new SplittableRandom(3);
        // first step: |d| / √v̂ = 1 everywhere, so every parameter steps with its sign
        java.util.Arrays.fill(d, -0.2f);
        QualitySimulation.adamTernary(d, v, 0.99f, 1, random);
        for (float x : d) assertEquals(-1f, x);
        // second step, a direction a quarter as large: √v̂ ≈ 0.146, so about 0.05 / 0.146 ≈ 34 % of them step
        java.util.Arrays.fill(d, 0.05f);
        QualitySimulation.adamTernary(d, v, 0.99f, 2, random);
        double share = 0;
        for (float x : d) {
            assertTrue(x == 0f || x == 1f);
            share += x;
        }
        double expected = 0.05 / Math.sqrt((0.01 * 0.99 * 0.04 + 0.01 * 0.0025) / (1 - 0.99 * 0.99));
        assertEquals(expected, share / n, 0.02);
    }

    @Test
    void lionStepsByTheInterpolationAndKeepsTheSlowerMomentum() {
        float[] m = {1f, -1f};
        float[] d = {-3f, 0.5f};
        QualitySimulation.lion(d, m, 0.9f, 0.99f);
        assertEquals(0.9f - 0.3f, d[0], 1e-6f, "β₁·M + (1−β₁)·d: the step keeps M's sign against a larger fresh value");
        assertEquals(-0.9f + 0.05f, d[1], 1e-6f);
        assertEquals(0.99f - 0.03f, m[0], 1e-6f);
        assertEquals(-0.99f + 0.005f, m[1], 1e-6f);
    }
}
