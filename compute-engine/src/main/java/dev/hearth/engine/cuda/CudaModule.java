package dev.hearth.engine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/// A PTX module the driver has JIT-compiled for this card ({@link CudaContext#loadModule(String)}).
/// {@link #close()} unloads it (`cuModuleUnload`); its functions die with it.
public final class CudaModule implements AutoCloseable {

    private final CudaContext context;
    private final MemorySegment handle;
    private final String jitLog;
    private boolean closed;

    CudaModule(CudaContext context, MemorySegment handle, String jitLog) {
        this.context = context;
        this.handle = handle;
        this.jitLog = jitLog;
    }

    /// `cuModuleGetFunction`: the kernel with this `.entry` name (`extern "C"`, so unmangled).
    public CudaFunction function(String name) {
        live();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            context.lib.check(context.lib.cuModuleGetFunction(out, handle,
                    arena.allocateFrom(name, StandardCharsets.UTF_8)), "cuModuleGetFunction", name);
            return new CudaFunction(context, out.get(ValueLayout.ADDRESS, 0), name);
        }
    }

    /// What the JIT said while compiling (`CU_JIT_INFO_LOG_BUFFER`), often empty.
    public String jitLog() {
        return jitLog;
    }

    private void live() {
        if (closed) {
            throw new IllegalStateException("CUDA module used after close");
        }
        context.makeCurrent();
    }

    /// `cuModuleUnload`. Closing twice is harmless.
    @Override
    public void close() {
        if (closed) {
            return;
        }
        context.makeCurrent();
        closed = true;
        context.forget(this);
        context.lib.check(context.lib.cuModuleUnload(handle), "cuModuleUnload");
    }
}
