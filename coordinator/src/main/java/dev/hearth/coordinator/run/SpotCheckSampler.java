package dev.hearth.coordinator.run;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

/// Chooses which uploads of a round get the loss spot check: each node independently with probability
/// `fraction`, decided by a hash of `(seed, round, node id)`. The same inputs always give the same choice
/// (replayable from the ledger), and a node cannot predict it without the seed.
public final class SpotCheckSampler {

    private SpotCheckSampler() {
    }

    public static Set<String> choose(Collection<String> nodeIds, double fraction, long round, long seed) {
        var chosen = new TreeSet<String>();
        if (fraction <= 0) {
            return chosen;
        }
        for (String node : nodeIds) {
            long h = SeededPermutation.mix(seed ^ SeededPermutation.mix(round + 0x5DEECE66DL));
            for (byte b : node.getBytes(StandardCharsets.UTF_8)) {
                h = SeededPermutation.mix(h ^ (b & 0xFF));
            }
            double u = (h >>> 11) * 0x1.0p-53; // uniform in [0, 1)
            if (u < fraction) {
                chosen.add(node);
            }
        }
        return chosen;
    }
}
