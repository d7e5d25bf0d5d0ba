package dev.hearth.coordinator.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/// The per-round floor on spot checks (issue 14, point 3).
class SpotCheckSamplerTest {

    static final List<String> EIGHT = IntStream.range(0, 8).mapToObj(i -> "node-" + i).toList();

    @Test
    void anEightNodeRoundAtTheDefaultFractionChecksTheFloor() {
        for (long round = 1; round <= 200; round++) {
            Set<String> chosen = SpotCheckSampler.choose(EIGHT, 0.1, round, 42);
            // at 0.1 a round of 8 has 3 or more by the fraction alone with probability 3.8 %: then it keeps them all
            assertTrue(chosen.size() >= SpotCheckSampler.MIN_CHECKS_PER_ROUND, "round " + round + ": " + chosen);
            assertTrue(EIGHT.containsAll(chosen));
        }
    }

    @Test
    void mostEightNodeRoundsAtTheDefaultFractionCheckExactlyThree() {
        int exactlyThree = 0;
        for (long round = 1; round <= 200; round++) {
            if (SpotCheckSampler.choose(EIGHT, 0.1, round, 42).size() == 3) exactlyThree++;
        }
        // P(fewer than 4 by the fraction) = 0.995: all but a few rounds have exactly the floor
        assertTrue(exactlyThree >= 190, exactlyThree + " of 200 rounds had exactly 3");
    }

    @Test
    void theFloorIsTheLowestDrawsSoItExtendsTheFractionsChoice() {
        for (long round = 1; round <= 50; round++) {
            Set<String> low = SpotCheckSampler.choose(EIGHT, 0.1, round, 7);
            Set<String> high = SpotCheckSampler.choose(EIGHT, 0.6, round, 7);
            assertTrue(high.containsAll(low), "round " + round + ": " + low + " not within " + high);
        }
    }

    @Test
    void aRoundWithFewerUploadsThanTheFloorChecksThemAll() {
        assertEquals(Set.of("a", "b"), SpotCheckSampler.choose(List.of("a", "b"), 0.1, 3, 11));
        assertEquals(Set.of("a"), SpotCheckSampler.choose(List.of("a"), 0.01, 3, 11));
        assertTrue(SpotCheckSampler.choose(List.of(), 0.1, 3, 11).isEmpty());
    }

    @Test
    void aFractionOfZeroChecksNothing() {
        assertTrue(SpotCheckSampler.choose(EIGHT, 0, 3, 11).isEmpty());
        assertTrue(SpotCheckSampler.choose(List.of("a", "b"), 0, 3, 11).isEmpty());
    }

    @Test
    void theSameSeedGivesTheSameChoiceWhateverTheOrderOfTheUploads() {
        var reversed = new ArrayList<>(EIGHT);
        Collections.reverse(reversed);
        for (long round = 1; round <= 20; round++) {
            assertEquals(SpotCheckSampler.choose(EIGHT, 0.1, round, 99),
                    SpotCheckSampler.choose(reversed, 0.1, round, 99));
        }
        var bySeed = new TreeSet<String>();
        for (long seed = 1; seed <= 20; seed++) bySeed.addAll(SpotCheckSampler.choose(EIGHT, 0.1, 5, seed));
        assertEquals(new TreeSet<>(EIGHT), bySeed, "over 20 seeds every node is drawn at some point");
    }

    @Test
    void atScaleTheFractionGovernsAndTheFloorAddsNothing() {
        var nodes = IntStream.range(0, 1000).mapToObj(i -> "node-" + i).toList();
        int n = SpotCheckSampler.choose(nodes, 0.1, 7, 99).size();
        assertTrue(n > 70 && n < 130, "about a tenth: " + n);
    }
}
