package dev.hearth.engine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/// A CUDA event, for timing work on a stream: record one before and one after, synchronize on the second, read
/// {@link #elapsedMillisSince(CudaEvent)}. Freed by {@link #close()} or with its context.
public final class CudaEvent implements AutoCloseable {

    private final CudaContext context;
    private final MemorySegment handle;
    private boolean closed;

    CudaEvent(CudaContext context, MemorySegment handle) {
        this.context = context;
        this.handle = handle;
    }

    /// `cuEventRecord`: the event completes when the stream reaches this point (null = the default stream).
    public void record(CudaStream stream) {
        live();
        context.lib.check(context.lib.cuEventRecord(handle, context.streamHandle(stream)), "cuEventRecord");
    }

    /// `cuEventSynchronize`: waits until the event completes.
    public void synchronize() {
        live();
        context.lib.check(context.lib.cuEventSynchronize(handle), "cuEventSynchronize");
    }

    /// `cuEventElapsedTime`: milliseconds from `start` to this event (both recorded and completed), resolution
    /// ~0.5 µs.
    public float elapsedMillisSince(CudaEvent start) {
        live();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_FLOAT);
            context.lib.check(context.lib.cuEventElapsedTime(out, start.handle, handle), "cuEventElapsedTime");
            return out.get(ValueLayout.JAVA_FLOAT, 0);
        }
    }

    private void live() {
        if (closed) {
            throw new IllegalStateException("CUDA event used after close");
        }
        context.makeCurrent();
    }

    /// `cuEventDestroy`.
    @Override
    public void close() {
        if (closed) {
            return;
        }
        context.makeCurrent();
        closed = true;
        context.forget(this);
        context.lib.check(context.lib.cuEventDestroy(handle), "cuEventDestroy");
    }
}
