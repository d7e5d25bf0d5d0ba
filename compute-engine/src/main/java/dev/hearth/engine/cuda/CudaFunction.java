package dev.hearth.engine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/// One kernel of a {@link CudaModule}.
public final class CudaFunction {

    private final CudaContext context;
    private final MemorySegment handle;
    private final String name;

    CudaFunction(CudaContext context, MemorySegment handle, String name) {
        this.context = context;
        this.handle = handle;
        this.name = name;
    }

    /// `cuLaunchKernel` on `stream` (null = the legacy default stream). `args` are, in the kernel's parameter
    /// order: {@link DeviceBuffer} (passed as its address), `Long` (a pointer or a 64-bit integer), `Integer`,
    /// `Float`. The driver cannot check them against the kernel's parameters; the launch descriptors' test
    /// against the PTX's `.entry` lists does. Returns once queued; a fault inside the kernel surfaces at the next
    /// synchronizing call.
    public void launch(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                       int sharedBytes, CudaStream stream, Object... args) {
        if (gridX < 1 || gridY < 1 || gridZ < 1 || blockX < 1 || blockY < 1 || blockZ < 1 || sharedBytes < 0) {
            throw new IllegalArgumentException(name + ": grid " + gridX + "×" + gridY + "×" + gridZ + ", block "
                    + blockX + "×" + blockY + "×" + blockZ + ", " + sharedBytes + " B shared; all must be positive");
        }
        context.makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            // kernelParams: an array of pointers, each to one argument's value (8-byte slots, one allocation).
            int n = args.length;
            MemorySegment params = arena.allocate(ValueLayout.ADDRESS, Math.max(1, n));
            MemorySegment values = arena.allocate(8L * Math.max(1, n), 8);
            for (int i = 0; i < n; i++) {
                MemorySegment slot = values.asSlice(8L * i, 8);
                switch (args[i]) {
                    case DeviceBuffer b -> slot.set(ValueLayout.JAVA_LONG, 0, b.address());
                    case Long l -> slot.set(ValueLayout.JAVA_LONG, 0, l);
                    case Integer v -> slot.set(ValueLayout.JAVA_INT, 0, v);
                    case Float f -> slot.set(ValueLayout.JAVA_FLOAT, 0, f);
                    case null -> throw new IllegalArgumentException(name + ": argument " + i + " is null");
                    default -> throw new IllegalArgumentException(name + ": argument " + i + " is a "
                            + args[i].getClass().getSimpleName() + "; pass DeviceBuffer, Long, Integer or Float");
                }
                params.setAtIndex(ValueLayout.ADDRESS, i, slot);
            }
            context.lib.check(context.lib.cuLaunchKernel(handle, gridX, gridY, gridZ, blockX, blockY, blockZ,
                    sharedBytes, context.streamHandle(stream), params, MemorySegment.NULL), "cuLaunchKernel",
                    name + ", grid " + gridX + "×" + gridY + "×" + gridZ + ", block " + blockX + "×" + blockY
                            + "×" + blockZ + ", " + ByteSize.format(sharedBytes) + " shared");
        }
    }

    /// `cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)`: lets a launch ask for more than the
    /// default 48 KiB of dynamic shared memory, up to {@link DeviceInfo#maxSharedBytesPerBlockOptin()}.
    public void setMaxDynamicSharedBytes(int bytes) {
        context.makeCurrent();
        context.lib.check(context.lib.cuFuncSetAttribute(handle,
                CudaLibrary.FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes), "cuFuncSetAttribute",
                name + ", max dynamic shared " + ByteSize.format(bytes));
    }

    /// The kernel's `.entry` name.
    public String name() {
        return name;
    }
}
