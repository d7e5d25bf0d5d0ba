package dev.hearth.engine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/// Page-locked host memory (`cuMemAllocHost`): the GPU copies it by DMA, and async copies require it.
/// {@link #segment()} is a view that becomes inaccessible (an exception, not a crash) once the buffer is closed.
public final class PinnedBuffer implements AutoCloseable {

    private final CudaContext context;
    private final MemorySegment pointer;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment segment;
    private boolean freed;

    @SuppressWarnings("restricted") // the driver's pointer, given its true size
    PinnedBuffer(CudaContext context, MemorySegment pointer, long bytes) {
        this.context = context;
        this.pointer = pointer;
        this.segment = pointer.reinterpret(bytes, arena, null);
    }

    /// The memory, `bytes()` long.
    public MemorySegment segment() {
        return segment;
    }

    public long bytes() {
        return segment.byteSize();
    }

    /// `cuMemFreeHost`. Closing twice is harmless.
    @Override
    public void close() {
        if (freed) {
            return;
        }
        context.makeCurrent();
        freed = true;
        arena.close();
        context.forget(this);
        context.lib.check(context.lib.cuMemFreeHost(pointer), "cuMemFreeHost", ByteSize.format(segment.byteSize()));
    }
}
