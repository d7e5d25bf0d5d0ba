package dev.hearth.coordinator.run;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/// Chooses which uploads of a round get the loss spot check. Each node gets a draw `u` in [0, 1) from SHA-256 of
/// `(seed, round, node id)`; every node with `u < fraction` is checked, and when that is fewer than
/// {@link #MIN_CHECKS_PER_ROUND} the lowest-`u` nodes after them are added until the floor is met (or every
/// upload is checked). A fraction of 0 checks nothing: the operator turned the checks off.
///
/// The same inputs always give the same choice (replayable from the data dir), and a node cannot predict it
/// without the seed — which is why the coordinator passes a seed drawn from its own secret
/// (`CoordinatorSecret.spotCheckSeed`), never the run's public seed. The floor keeps that: the extra checks are
/// the next nodes in the same secret order, so a node learns no more than whether it was checked.
/// SHA-256 rather than a fast mixer: a node sees whether it was checked, and from enough such bits the seed of an
/// invertible mixer could in principle be solved for; a cryptographic hash leaves only a 2^64 search.
public final class SpotCheckSampler {

    /// At least 3 checks per round (when the round has that many uploads and the fraction is above 0): the mean
    /// step's relative rule needs 3 checks in a round (`SpotCheckPolicy.MIN_CHECKS_FOR_RELATIVE_GAP`), and at
    /// fraction 0.1 a round of 8 updates would otherwise have about one, so small runs would never get the
    /// relative rule and an intermittent cheater would go unchecked in most of its rounds. At scale (30 or more
    /// uploads at fraction 0.1) the fraction alone gives 3 or more and the floor adds nothing.
    public static final int MIN_CHECKS_PER_ROUND = 3;

    private SpotCheckSampler() {
    }

    /// The nodes of `nodeIds` to check in `round`, sorted by id.
    public static Set<String> choose(Collection<String> nodeIds, double fraction, long round, long seed) {
        var chosen = new TreeSet<String>();
        if (fraction <= 0) {
            return chosen;
        }
        MessageDigest sha = sha256();
        record Draw(String node, double u) {
        }
        List<Draw> draws = new ArrayList<>();
        for (String node : new LinkedHashSet<>(nodeIds)) {
            sha.update(ByteBuffer.allocate(2 * Long.BYTES).putLong(seed).putLong(round).array());
            sha.update(node.getBytes(StandardCharsets.UTF_8));
            long h = ByteBuffer.wrap(sha.digest()).getLong();
            draws.add(new Draw(node, (h >>> 11) * 0x1.0p-53)); // uniform in [0, 1)
        }
        // by u, ties (a 2^-53 chance) by id, so that the order does not depend on the collection's
        draws.sort(Comparator.comparingDouble(Draw::u).thenComparing(Draw::node));
        for (Draw d : draws) {
            if (d.u() < fraction || chosen.size() < MIN_CHECKS_PER_ROUND) {
                chosen.add(d.node());
            } else {
                break;
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
