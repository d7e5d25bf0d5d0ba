package dev.hearth.coordinator.run;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/// The windows of the corpus still to be trained, in a seeded order, one pass ("epoch") after another.
///
/// Every id of an epoch is, at any time, in exactly one of: not yet drawn, returned (waiting at the
/// front), outstanding (assigned in an open round), committed. {@link #checkInvariant()} proves it.
/// Returned ids (a node missed the deadline, left, or its update was rejected) go to the *front*, so
/// they are retrained next instead of at the end of the pass.
///
/// The order of epoch `e` is `SeededPermutation(size, mix(seed + e))`, a pure function of the run's seed,
/// so after a restart {@link #restore} rebuilds the same order from what the ledger says is committed.
/// Not thread-safe: owned by the {@link RunStateMachine}.
public final class BatchPool {

    /// Ids are tracked in {@link BitSet}s, which are int-indexed; a corpus of 2^31 windows of 128 tokens
    /// would be 256 GiB of text, far beyond what one run serves.
    public static final long MAX_WINDOWS = Integer.MAX_VALUE;

    private final long size;
    private final long seed;
    private int epoch;
    private SeededPermutation order;
    private long cursor;
    private final Deque<BatchRef> front = new ArrayDeque<>();
    private final Set<BatchRef> outstanding = new HashSet<>();
    /// Committed ids of every epoch that is not yet fully committed.
    private final Map<Integer, BitSet> committed = new TreeMap<>();
    private long completedEpochs;

    /// A fresh pool at the start of epoch 0.
    public BatchPool(long size, long seed) {
        if (size < 1 || size > MAX_WINDOWS) {
            throw new IllegalArgumentException("batch pool size must be in [1, " + MAX_WINDOWS + "], got " + size);
        }
        this.size = size;
        this.seed = seed;
        startEpoch(0);
    }

    /// Rebuilds the pool after a restart from the ledger's committed ids.
    ///
    /// @param committedByEpoch committed ids per epoch, for the current epoch and any earlier epoch that is not
    ///                         complete (a restart mid-round loses its outstanding ids: they are not committed,
    ///                         so they come back here, at the front)
    public static BatchPool restore(long size, long seed, Map<Integer, BitSet> committedByEpoch) {
        var pool = new BatchPool(size, seed);
        pool.committed.clear();
        int last = committedByEpoch.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
        for (var e : new TreeMap<>(committedByEpoch).entrySet()) {
            BitSet ids = e.getValue();
            if (ids.length() > size) {
                throw new IllegalArgumentException("ledger has batch id " + (ids.length() - 1) + " in epoch " + e.getKey()
                        + " but the corpus has only " + size + " windows: was the corpus changed mid-run?");
            }
            if (ids.cardinality() == size && e.getKey() != last) {
                continue;
            }
            pool.committed.put(e.getKey(), (BitSet) ids.clone());
        }
        pool.enterEpoch(last);
        // Earlier, incomplete epochs: their missing ids go to the front, in their epoch's order.
        for (var e : pool.committed.entrySet()) {
            if (e.getKey() == last) {
                continue;
            }
            var perm = new SeededPermutation(size, epochSeed(seed, e.getKey()));
            for (long i = 0; i < size; i++) {
                long id = perm.at(i);
                if (!e.getValue().get((int) id)) {
                    pool.front.addLast(new BatchRef(e.getKey(), id));
                }
            }
        }
        pool.completedEpochs = last - pool.committed.keySet().stream().filter(k -> k < last).count();
        return pool;
    }

    private static long epochSeed(long seed, int epoch) {
        return SeededPermutation.mix(seed + 0x632BE59BD9B4E019L * (epoch + 1));
    }

    /// Moves to the next pass; a fully committed previous pass stops being tracked.
    private void startEpoch(int e) {
        BitSet previous = committed.get(epoch);
        if (order != null && previous != null && previous.cardinality() == size) {
            committed.remove(epoch);
            completedEpochs++;
        }
        enterEpoch(e);
    }

    private void enterEpoch(int e) {
        epoch = e;
        order = new SeededPermutation(size, epochSeed(seed, e));
        cursor = 0;
        committed.computeIfAbsent(e, k -> new BitSet());
    }

    /// Takes `n` ids: returned ones first, then the current epoch's order, starting the next epoch when
    /// this one is fully drawn. The ids become outstanding until {@link #commit} or {@link #giveBack}.
    public List<BatchRef> take(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("cannot take " + n + " batches");
        }
        var out = new ArrayList<BatchRef>(n);
        while (out.size() < n) {
            BatchRef ref = front.pollFirst();
            if (ref == null) {
                ref = drawNext();
            }
            outstanding.add(ref);
            out.add(ref);
        }
        return out;
    }

    private BatchRef drawNext() {
        while (true) {
            if (cursor == size) {
                startEpoch(epoch + 1);
            }
            long id = order.at(cursor++);
            // After a restore, ids of the current epoch that the ledger already has are skipped.
            if (!committed.get(epoch).get((int) id)) {
                return new BatchRef(epoch, id);
            }
        }
    }

    /// Returns outstanding ids to the front of the pool, keeping their order (they are drawn next).
    public void giveBack(List<BatchRef> refs) {
        for (BatchRef ref : refs) {
            if (!outstanding.contains(ref)) {
                throw new IllegalStateException("batch " + ref + " given back but it is not outstanding");
            }
        }
        for (int i = refs.size() - 1; i >= 0; i--) {
            outstanding.remove(refs.get(i));
            front.addFirst(refs.get(i));
        }
    }

    /// Marks outstanding ids as committed (trained into a committed version).
    public void commit(List<BatchRef> refs) {
        for (BatchRef ref : refs) {
            if (!outstanding.contains(ref)) {
                throw new IllegalStateException("batch " + ref + " committed but it is not outstanding"
                        + " (committed twice, or never assigned)");
            }
        }
        for (BatchRef ref : refs) {
            outstanding.remove(ref);
            BitSet ids = committed.get(ref.epoch());
            ids.set((int) ref.id());
            if (ids.cardinality() == size && ref.epoch() != epoch) {
                committed.remove(ref.epoch());
                completedEpochs++;
            }
        }
    }

    public int epoch() {
        return epoch;
    }

    public long size() {
        return size;
    }

    /// Ids that can be taken without starting a new epoch.
    public long available() {
        return front.size() + (size - cursor);
    }

    public int outstandingCount() {
        return outstanding.size();
    }

    /// Epochs whose every id is committed.
    public long completedEpochs() {
        return completedEpochs + (committed.get(epoch).cardinality() == size ? 1 : 0);
    }

    /// Committed ids of an epoch still being tracked (a copy), empty when the epoch is not tracked.
    public BitSet committedIn(int e) {
        BitSet ids = committed.get(e);
        return ids == null ? new BitSet() : (BitSet) ids.clone();
    }

    /// Proves the accounting: within every tracked epoch each id is in exactly one of not-yet-drawn,
    /// returned, outstanding and committed. Throws {@link IllegalStateException} naming the first broken id.
    public void checkInvariant() {
        for (var e : committed.entrySet()) {
            int ep = e.getKey();
            BitSet seen = (BitSet) e.getValue().clone();
            long count = seen.cardinality();
            for (BatchRef ref : front) {
                count += claim(seen, ref, ep, "returned");
            }
            for (BatchRef ref : outstanding) {
                count += claim(seen, ref, ep, "outstanding");
            }
            if (ep == epoch) {
                for (long i = cursor; i < size; i++) {
                    long id = order.at(i);
                    if (seen.get((int) id)) {
                        if (e.getValue().get((int) id)) {
                            continue; // restored: committed before the restart, skipped when drawn
                        }
                        throw new IllegalStateException("batch " + ep + ":" + id + " is both not yet drawn and handed out");
                    }
                    seen.set((int) id);
                    count++;
                }
            }
            if (count != size) {
                throw new IllegalStateException("epoch " + ep + " accounts for " + count + " of " + size
                        + " batches: " + (size - count) + " lost");
            }
        }
        for (BatchRef ref : front) {
            if (!committed.containsKey(ref.epoch())) {
                throw new IllegalStateException("returned batch " + ref + " belongs to an epoch already complete");
            }
        }
        for (BatchRef ref : outstanding) {
            if (!committed.containsKey(ref.epoch())) {
                throw new IllegalStateException("outstanding batch " + ref + " belongs to an epoch already complete");
            }
        }
    }

    private static int claim(BitSet seen, BatchRef ref, int ep, String where) {
        if (ref.epoch() != ep) {
            return 0;
        }
        if (seen.get((int) ref.id())) {
            throw new IllegalStateException("batch " + ref + " is " + where + " and also committed or held elsewhere");
        }
        seen.set((int) ref.id());
        return 1;
    }
}
