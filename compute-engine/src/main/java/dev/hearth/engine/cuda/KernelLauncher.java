package dev.hearth.engine.cuda;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/// Hearth's kernels loaded into one context: the three PTX modules JIT-compiled by the driver for this card, every
/// entry of {@link Kernels} looked up once, and launches on the context's stream with the arguments checked
/// against the descriptor first (a launch with a wrong argument list would read garbage on the device, silently).
///
/// Launch shapes follow the CUDA source's comments: element-wise kernels take {@link #BLOCK} threads a block,
/// warp-per-row kernels {@link #ROWS_PER_WARP_BLOCK} rows a block.
final class KernelLauncher {

    /// Threads per block of the element-wise kernels: a multiple of the warp, enough to hide memory latency.
    static final int BLOCK = 256;
    /// Threads per block of the column kernels (one column a thread; 128 keeps several blocks per SM when the
    /// width is only 3·C).
    static final int COLUMN_BLOCK = 128;
    /// Warp-per-row kernels: 4 warps a block (128 threads), one row each.
    static final int ROWS_PER_WARP_BLOCK = 4;
    static final int WARP = 32;
    /// CUDA's limit on a grid's y and z dimensions.
    static final int MAX_GRID_YZ = 65_535;

    private final CudaStream stream;
    private final Map<Kernels.Module, CudaModule> modules = new EnumMap<>(Kernels.Module.class);
    private final Map<Kernels.Kernel, CudaFunction> functions = new HashMap<>();

    KernelLauncher(CudaContext context) {
        this.stream = context.stream();
        for (Kernels.Module m : Kernels.Module.values()) {
            modules.put(m, context.loadModule(m.ptx()));
        }
        for (Kernels.Kernel k : Kernels.all()) {
            functions.put(k, modules.get(k.module()).function(k.entry()));
        }
    }

    CudaStream stream() {
        return stream;
    }

    /// One checked launch with no dynamic shared memory.
    void launch(Kernels.Kernel kernel, int gridX, int gridY, int gridZ, int block, Object... args) {
        kernel.checkArguments(args);
        if (gridY > MAX_GRID_YZ || gridZ > MAX_GRID_YZ) {
            throw new IllegalArgumentException(kernel.entry() + ": grid " + gridX + "×" + gridY + "×" + gridZ
                    + " exceeds CUDA's " + MAX_GRID_YZ + " in y or z");
        }
        functions.get(kernel).launch(gridX, gridY, gridZ, block, 1, 1, 0, stream, args);
    }

    /// A thread-per-element kernel over `count` elements (nothing when 0).
    void elementwise(Kernels.Kernel kernel, long count, Object... args) {
        if (count == 0) {
            return;
        }
        launch(kernel, Math.toIntExact(ceilDiv(count, BLOCK)), 1, 1, BLOCK, args);
    }

    /// A warp-per-row kernel over `rows` rows.
    void warpRows(Kernels.Kernel kernel, int rows, Object... args) {
        if (rows == 0) {
            return;
        }
        launch(kernel, (int) ceilDiv(rows, ROWS_PER_WARP_BLOCK), 1, 1, ROWS_PER_WARP_BLOCK * WARP, args);
    }

    /// A thread-per-(column, chunk) kernel: grid (ceil(width / 128), chunks).
    void columns(Kernels.Kernel kernel, int width, int chunks, Object... args) {
        launch(kernel, (int) ceilDiv(width, COLUMN_BLOCK), chunks, 1, COLUMN_BLOCK, args);
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
