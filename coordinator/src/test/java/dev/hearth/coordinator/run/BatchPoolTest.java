package dev.hearth.coordinator.run;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class BatchPoolTest {

    @Test
    void permutationIsABijectionOfItsRange() {
        for (long n : new long[] {1, 2, 3, 7, 64, 1000, 4097}) {
            var perm = new SeededPermutation(n, 42);
            var seen = new BitSet();
            for (long i = 0; i < n; i++) {
                long v = perm.at(i);
                assertTrue(v >= 0 && v < n, "value in range");
                assertFalse(seen.get((int) v), "no repeats for n=" + n);
                seen.set((int) v);
            }
            assertEquals(n, seen.cardinality());
        }
    }

    @Test
    void permutationDependsOnSeedAndIsNotIdentity() {
        var a = new SeededPermutation(1000, 1);
        var b = new SeededPermutation(1000, 2);
        int same = 0;
        int fixed = 0;
        for (int i = 0; i < 1000; i++) {
            if (a.at(i) == b.at(i)) {
                same++;
            }
            if (a.at(i) == i) {
                fixed++;
            }
        }
        assertTrue(same < 50, "different seeds give different orders, same positions: " + same);
        assertTrue(fixed < 50, "not close to the identity, fixed points: " + fixed);
    }

    @Test
    void oneEpochHandsOutEveryIdOnceThenStartsTheNext() {
        var pool = new BatchPool(10, 7);
        var first = pool.take(10);
        assertEquals(10, new HashSet<>(first.stream().map(BatchRef::id).toList()).size());
        assertTrue(first.stream().allMatch(r -> r.epoch() == 0));
        var next = pool.take(3);
        assertTrue(next.stream().allMatch(r -> r.epoch() == 1));
        pool.checkInvariant();
    }

    @Test
    void returnedBatchesAreDrawnNextInTheirOrder() {
        var pool = new BatchPool(100, 7);
        var a = pool.take(4);
        var b = pool.take(4);
        pool.giveBack(a);
        assertEquals(a, pool.take(4));
        pool.commit(b);
        pool.checkInvariant();
    }

    @Test
    void committingTwiceOrUnassignedFails() {
        var pool = new BatchPool(10, 7);
        var a = pool.take(2);
        pool.commit(a);
        var e = assertThrows(IllegalStateException.class, () -> pool.commit(a));
        assertTrue(e.getMessage().contains("committed twice"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> pool.giveBack(a));
    }

    @Test
    void invariantHoldsThroughManyEpochsOfTakeReturnCommit() {
        var pool = new BatchPool(37, 3);
        var committed = new ArrayList<BatchRef>();
        for (int round = 0; round < 60; round++) {
            var a = pool.take(5);
            var b = pool.take(5);
            if (round % 3 == 0) {
                pool.giveBack(a);
            } else {
                pool.commit(a);
                committed.addAll(a);
            }
            pool.commit(b);
            committed.addAll(b);
            pool.checkInvariant();
        }
        assertEquals(committed.size(), new HashSet<>(committed).size(), "no (epoch, id) committed twice");
        assertTrue(pool.completedEpochs() >= 10, "completed epochs: " + pool.completedEpochs());
    }

    @Test
    void restoreRebuildsTheSameOrderWithoutCommittedIds() {
        var pool = new BatchPool(50, 11);
        var done = pool.take(20);
        pool.commit(done);
        var lost = pool.take(5); // a round in progress when the coordinator died
        var committed = new BitSet();
        done.forEach(r -> committed.set((int) r.id()));

        var restored = BatchPool.restore(50, 11, Map.of(0, committed));
        restored.checkInvariant();
        var rest = restored.take(30);
        assertTrue(rest.stream().allMatch(r -> r.epoch() == 0));
        assertTrue(rest.containsAll(lost), "the lost round's batches come back");
        var all = new BitSet();
        all.or(committed);
        rest.forEach(r -> {
            assertFalse(all.get((int) r.id()), "id " + r + " handed out twice in epoch 0");
            all.set((int) r.id());
        });
        assertEquals(50, all.cardinality());
        assertEquals(1, restored.take(1).getFirst().epoch());
    }

    @Test
    void restorePutsTheMissingIdsOfAnEarlierEpochFirst() {
        var pool = new BatchPool(8, 5);
        var epoch0 = pool.take(8);
        pool.commit(epoch0.subList(0, 6));
        var epoch1 = pool.take(3);
        pool.commit(epoch1);
        var c0 = new BitSet();
        epoch0.subList(0, 6).forEach(r -> c0.set((int) r.id()));
        var c1 = new BitSet();
        epoch1.forEach(r -> c1.set((int) r.id()));

        var restored = BatchPool.restore(8, 5, Map.of(0, c0, 1, c1));
        restored.checkInvariant();
        List<BatchRef> next = restored.take(2);
        assertEquals(new HashSet<>(epoch0.subList(6, 8)), new HashSet<>(next));
        assertEquals(1, restored.take(1).getFirst().epoch());
        restored.checkInvariant();
    }

    @Test
    void rejectsAPoolTooLargeForItsBitsets() {
        assertThrows(IllegalArgumentException.class, () -> new BatchPool(BatchPool.MAX_WINDOWS + 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new BatchPool(0, 1));
    }
}
