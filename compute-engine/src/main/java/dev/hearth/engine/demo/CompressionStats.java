package dev.hearth.engine.demo;

/// Size of one encoded update against the dense fp32 parameters it stands for.
///
/// @param params       parameters in the layout
/// @param encodedBytes size of the encoded update
/// @param ratio        `4·params / encodedBytes`
public record CompressionStats(long params, long encodedBytes, double ratio) {

    public static CompressionStats of(long params, long encodedBytes) {
        if (params <= 0 || encodedBytes <= 0) {
            throw new IllegalArgumentException("params and encoded bytes must be positive, got " + params + ", "
                    + encodedBytes);
        }
        return new CompressionStats(params, encodedBytes, 4.0 * params / encodedBytes);
    }
}
