package dev.hearth.coordinator.run;

/// A pseudo-random permutation of `[0, n)` computed on demand, so the order of a pass over a corpus
/// with millions of windows costs no memory and can be recomputed after a restart from `(n, seed)`.
///
/// A balanced Feistel network over the smallest even-bit power of two `>= n` is a bijection of that
/// domain; "cycle walking" (re-applying it until the value falls below `n`) restricts it to `[0, n)`
/// and stays a bijection (Black & Rogaway, "Ciphers with Arbitrary Finite Domains", 2002). The domain is
/// below `4n`, so a lookup walks fewer than 4 steps on average.
public final class SeededPermutation {

    /// Four Feistel rounds: enough to look shuffled for data ordering (not a cipher; nothing here is secret).
    private static final int ROUNDS = 4;

    private final long n;
    private final int halfBits;
    private final long halfMask;
    private final long[] roundKeys = new long[ROUNDS];

    public SeededPermutation(long n, long seed) {
        if (n < 1) {
            throw new IllegalArgumentException("permutation size must be >= 1, got " + n);
        }
        this.n = n;
        int bits = Math.max(2, 64 - Long.numberOfLeadingZeros(n - 1));
        if (bits % 2 == 1) {
            bits++;
        }
        this.halfBits = bits / 2;
        this.halfMask = (1L << halfBits) - 1;
        long s = seed;
        for (int i = 0; i < ROUNDS; i++) {
            s += 0x9E3779B97F4A7C15L;
            roundKeys[i] = mix(s);
        }
    }

    public long size() {
        return n;
    }

    /// The value at position `index` of the permutation.
    public long at(long index) {
        if (index < 0 || index >= n) {
            throw new IndexOutOfBoundsException("index " + index + " outside [0, " + n + ")");
        }
        long x = index;
        do {
            x = feistel(x);
        } while (x >= n);
        return x;
    }

    private long feistel(long x) {
        long left = x >>> halfBits;
        long right = x & halfMask;
        for (long key : roundKeys) {
            long next = left ^ (mix(right ^ key) & halfMask);
            left = right;
            right = next;
        }
        return (left << halfBits) | right;
    }

    /// SplitMix64 finaliser: a cheap, well-distributed 64-bit hash.
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
