package dev.hearth.engine.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.train.Batch;
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
}
