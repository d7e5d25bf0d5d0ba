package dev.hearth.coordinator.run;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

/// Chooses which uploads of a round get the loss spot check: each node independently with probability
/// `fraction`, decided by SHA-256 of `(seed, round, node id)`. The same inputs always give the same choice
/// (replayable from the data dir), and a node cannot predict it without the seed — which is why the coordinator
/// passes a seed drawn from its own secret (`CoordinatorSecret.spotCheckSeed`), never the run's public seed.
/// SHA-256 rather than a fast mixer: a node sees whether it was checked, and from enough such bits the seed of an
/// invertible mixer could in principle be solved for; a cryptographic hash leaves only a 2^64 search.
public final class SpotCheckSampler {

    private SpotCheckSampler() {
    }

    public static Set<String> choose(Collection<String> nodeIds, double fraction, long round, long seed) {
        var chosen = new TreeSet<String>();
        if (fraction <= 0) {
            return chosen;
        }
        MessageDigest sha = sha256();
        for (String node : nodeIds) {
            sha.update(ByteBuffer.allocate(2 * Long.BYTES).putLong(seed).putLong(round).array());
            sha.update(node.getBytes(StandardCharsets.UTF_8));
            long h = ByteBuffer.wrap(sha.digest()).getLong();
            double u = (h >>> 11) * 0x1.0p-53; // uniform in [0, 1)
            if (u < fraction) {
                chosen.add(node);
            }
        }
        return chosen;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
