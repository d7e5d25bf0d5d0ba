package dev.hearth.engine.demo;

/// Settings of the DeMo optimizer and its update codec (Peng, Quesnelle, Kingma 2024, "DeMo: Decoupled
/// Momentum Optimization"; reference `bloc97/DeMo`, `demo.py`).
///
/// @param beta      momentum decay β in `m ← β·m + g`, in [0, 1); 0.999 as in the reference
/// @param blockSize target DCT chunk edge: each tensor dimension is cut into blocks of the largest divisor of the
///                  dimension that is ≤ blockSize (the reference's `_get_smaller_split`); 64 → 64×64 blocks for
///                  GPT matrices, 64-long blocks for vectors
/// @param topK      coefficients kept per block (the reference's `compression_topk`); clamped to the block's size
///                  for blocks smaller than k
/// @param encoding  value precision on the wire
public record DemoConfig(float beta, int blockSize, int topK, ValueEncoding encoding) {

    /// Largest allowed block edge: indices within a block travel as uint16, so a block holds at most 65,536
    /// coefficients (256 × 256).
    public static final int MAX_BLOCK_SIZE = 256;

    /// Largest allowed k: beyond 1,024 kept values per block an update is barely compressed (at 64×64 blocks it
    /// would be 4× smaller than dense fp32 at best), so a larger k is a configuration mistake or an attack.
    public static final int MAX_TOP_K = 1024;

    public static final float DEFAULT_BETA = 0.999f;
    public static final int DEFAULT_BLOCK_SIZE = 64;
    public static final int DEFAULT_TOP_K = 32;

    public DemoConfig {
        if (!(beta >= 0f && beta < 1f)) {
            throw new IllegalArgumentException("DeMo beta must be in [0, 1), got " + beta);
        }
        if (blockSize < 1 || blockSize > MAX_BLOCK_SIZE) {
            throw new IllegalArgumentException("DeMo blockSize must be in [1, " + MAX_BLOCK_SIZE + "], got " + blockSize);
        }
        int maxK = Math.min(MAX_TOP_K, blockSize * blockSize);
        if (topK < 1 || topK > maxK) {
            throw new IllegalArgumentException("DeMo topK must be in [1, " + maxK + "] for blockSize " + blockSize
                    + " (at most blockSize² and at most " + MAX_TOP_K + "), got " + topK);
        }
        if (encoding == null) {
            throw new IllegalArgumentException("DeMo value encoding must be given (SIGN_1BIT or FP16)");
        }
    }

    /// β 0.999, 64×64 blocks, k 32, 1-bit signs: matrices travel ~228× smaller than dense fp32; whole updates
    /// 193× (`small`) and 149× (`nano`), because 1-D tensors in 64-long blocks keep 32 of every 64 values.
    public static DemoConfig defaults() {
        return new DemoConfig(DEFAULT_BETA, DEFAULT_BLOCK_SIZE, DEFAULT_TOP_K, ValueEncoding.SIGN_1BIT);
    }

    public DemoConfig withTopK(int k) {
        return new DemoConfig(beta, blockSize, k, encoding);
    }

    public DemoConfig withEncoding(ValueEncoding e) {
        return new DemoConfig(beta, blockSize, topK, e);
    }

    public DemoConfig withBlockSize(int size) {
        return new DemoConfig(beta, size, Math.min(topK, size * size), encoding);
    }
}
