package dev.hearth.engine.cuda;

import java.lang.foreign.MemorySegment;

/// A CUDA stream: work queued on it runs in order, asynchronously to the host. Owned by its {@link CudaContext},
/// which destroys it on close.
public final class CudaStream {

    private final CudaContext context;
    private final MemorySegment handle;

    CudaStream(CudaContext context, MemorySegment handle) {
        this.context = context;
        this.handle = handle;
    }

    /// `cuStreamSynchronize`: waits until everything queued on this stream has run; a kernel's fault surfaces here.
    public void synchronize() {
        context.makeCurrent();
        context.lib.check(context.lib.cuStreamSynchronize(handle), "cuStreamSynchronize");
    }

    MemorySegment handle() {
        return handle;
    }

    void destroy() {
        context.lib.check(context.lib.cuStreamDestroy(handle), "cuStreamDestroy");
    }
}
