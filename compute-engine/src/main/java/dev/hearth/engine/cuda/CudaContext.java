package dev.hearth.engine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/// One card's primary context, retained by {@link CudaDriver#open(int)}; {@link #close()} frees what was made
/// through it (buffers, pinned memory, modules, events, the stream) and releases the context, so the card's
/// memory goes back to its idle level.
///
/// **Thread rule.** The context is made current on the thread that opened it, and made current again (one
/// `cuCtxSetCurrent`, remembered per thread) on any other thread the first time that thread uses it or anything
/// made through it. Those objects are not synchronized: drive one context from one thread at a time.
///
/// **Copies from Java arrays** go through a pinned staging buffer ({@link #STAGING_BYTES}), not as
/// `Linker.Option.critical(true)` heap segments. Heap access would be legal for the synchronous copies (the
/// driver has read or written the array by the time `cuMemcpyHtoD`/`DtoH` return), but a synchronous copy first
/// waits for the kernels queued before it, and a critical call holds its thread out of safepoints all that
/// time: the whole JVM would stall at its next GC. The driver stages pageable copies through pinned memory of
/// its own anyway, so staging ourselves costs the same host copy.
public final class CudaContext implements AutoCloseable {

    /// 8 MiB: a chunk's copy (~0.7 ms at PCIe 3 ×16's ~12 GB/s) dwarfs the ~10 µs a call costs, and pinning
    /// 8 MiB is harmless on any machine.
    static final long STAGING_BYTES = 8L << 20;
    /// `cuModuleLoadDataEx`'s error and info logs: ptxas's messages for a whole module fit; a longer log is cut.
    static final int JIT_LOG_BYTES = 16 << 10;

    /// The context this binding last made current on each thread (compared by identity: a reopened primary
    /// context may reuse the handle's address).
    private static final ThreadLocal<CudaContext> CURRENT = new ThreadLocal<>();

    final CudaLibrary lib;
    private final CudaDriver driver;
    private final int ordinal;
    private final int device;
    private final MemorySegment handle;
    private final Set<AutoCloseable> owned = new LinkedHashSet<>();
    private CudaStream stream;
    private PinnedBuffer staging;
    private boolean closed;

    CudaContext(CudaDriver driver, int ordinal, int device) {
        this.driver = driver;
        this.lib = driver.lib;
        this.ordinal = ordinal;
        this.device = device;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            lib.check(lib.cuDevicePrimaryCtxRetain(out, device), "cuDevicePrimaryCtxRetain", "device " + ordinal);
            this.handle = out.get(ValueLayout.ADDRESS, 0);
        }
        try {
            makeCurrent();
        } catch (CudaException e) {
            lib.cuDevicePrimaryCtxRelease(device);
            throw e;
        }
    }

    /// The driver's index of this card.
    public int ordinal() {
        return ordinal;
    }

    /// What the driver says about this card.
    public DeviceInfo device() {
        return driver.device(ordinal);
    }

    /// Makes this context current on the calling thread (`cuCtxSetCurrent`) unless this binding already did.
    /// Every operation calls it; call it yourself only before handing the thread to other CUDA code.
    public void makeCurrent() {
        if (closed) {
            throw new IllegalStateException("CUDA context of device " + ordinal + " used after close");
        }
        if (CURRENT.get() != this) {
            lib.check(lib.cuCtxSetCurrent(handle), "cuCtxSetCurrent", "device " + ordinal);
            CURRENT.set(this);
        }
    }

    /// `cuMemAlloc`: device memory, uninitialized. Throws {@link CudaException} (`isOutOfMemory()`) when the
    /// card has too little free.
    public DeviceBuffer alloc(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("device allocation of " + bytes + " bytes; must be positive");
        }
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_LONG);
            lib.check(lib.cuMemAlloc(out, bytes), "cuMemAlloc", ByteSize.format(bytes));
            DeviceBuffer buffer = new DeviceBuffer(this, out.get(ValueLayout.JAVA_LONG, 0), bytes);
            owned.add(buffer);
            return buffer;
        }
    }

    /// `cuMemAllocHost`: page-locked host memory, which the GPU reads and writes by DMA (async copies need it).
    public PinnedBuffer allocPinned(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("pinned allocation of " + bytes + " bytes; must be positive");
        }
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            lib.check(lib.cuMemAllocHost(out, bytes), "cuMemAllocHost", ByteSize.format(bytes));
            PinnedBuffer buffer = new PinnedBuffer(this, out.get(ValueLayout.ADDRESS, 0), bytes);
            owned.add(buffer);
            return buffer;
        }
    }

    /// `cuMemGetInfo`: free and total memory of this card now.
    public MemInfo memInfo() {
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment total = arena.allocate(ValueLayout.JAVA_LONG);
            lib.check(lib.cuMemGetInfo(free, total), "cuMemGetInfo");
            return new MemInfo(free.get(ValueLayout.JAVA_LONG, 0), total.get(ValueLayout.JAVA_LONG, 0));
        }
    }

    /// `cuModuleLoadDataEx`: JIT-compiles PTX text for this card. A failure carries the JIT's error log
    /// (`cuModuleLoadDataEx(12 KiB PTX): CUDA_ERROR_INVALID_PTX (ptxas application ptx input, line 7; error ...)`);
    /// `CUDA_ERROR_UNSUPPORTED_PTX_VERSION` means the driver is older than the PTX's ISA version.
    public CudaModule loadModule(String ptx) {
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment image = arena.allocateFrom(ptx, StandardCharsets.UTF_8);
            String size = ByteSize.format(image.byteSize() - 1) + " PTX";
            MemorySegment errorLog = arena.allocate(JIT_LOG_BYTES);
            MemorySegment infoLog = arena.allocate(JIT_LOG_BYTES);
            MemorySegment keys = arena.allocateFrom(ValueLayout.JAVA_INT,
                    CudaLibrary.JIT_ERROR_LOG_BUFFER, CudaLibrary.JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                    CudaLibrary.JIT_INFO_LOG_BUFFER, CudaLibrary.JIT_INFO_LOG_BUFFER_SIZE_BYTES);
            // The values are void*: buffers as pointers, sizes as integers cast to pointers (cuda.h's convention);
            // the driver writes back into the size slots how many bytes it logged.
            MemorySegment values = arena.allocate(ValueLayout.ADDRESS, 4);
            values.setAtIndex(ValueLayout.ADDRESS, 0, errorLog);
            values.setAtIndex(ValueLayout.ADDRESS, 1, MemorySegment.ofAddress(JIT_LOG_BYTES));
            values.setAtIndex(ValueLayout.ADDRESS, 2, infoLog);
            values.setAtIndex(ValueLayout.ADDRESS, 3, MemorySegment.ofAddress(JIT_LOG_BYTES));
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            int rc = lib.cuModuleLoadDataEx(out, image, 4, keys, values);
            String info = infoLog.getString(0, StandardCharsets.UTF_8).strip();
            if (rc != CudaLibrary.CUDA_SUCCESS) {
                String log = errorLog.getString(0, StandardCharsets.UTF_8).strip();
                String why = log.isEmpty() ? lib.errorString(rc) : log;
                if (rc == CudaLibrary.CUDA_ERROR_UNSUPPORTED_PTX_VERSION) {
                    why = why + "; the NVIDIA driver is older than this PTX needs: update the driver";
                }
                throw lib.failure(rc, "cuModuleLoadDataEx", size, why);
            }
            CudaModule module = new CudaModule(this, out.get(ValueLayout.ADDRESS, 0), info);
            owned.add(module);
            return module;
        }
    }

    /// The context's one non-default stream for Hearth's work, created on first use. It is a blocking stream:
    /// the synchronous copies and memsets (on the legacy default stream) wait for its kernels and it for them.
    public CudaStream stream() {
        makeCurrent();
        if (stream == null) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
                lib.check(lib.cuStreamCreate(out, CudaLibrary.STREAM_DEFAULT), "cuStreamCreate");
                stream = new CudaStream(this, out.get(ValueLayout.ADDRESS, 0));
            }
        }
        return stream;
    }

    /// `cuEventCreate`: a timing event (record it on a stream, then read the time between two).
    public CudaEvent event() {
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            lib.check(lib.cuEventCreate(out, CudaLibrary.EVENT_DEFAULT), "cuEventCreate");
            CudaEvent event = new CudaEvent(this, out.get(ValueLayout.ADDRESS, 0));
            owned.add(event);
            return event;
        }
    }

    /// `cuCtxSynchronize`: waits for all work on this card; a kernel's fault (an illegal address) surfaces here.
    public void synchronize() {
        makeCurrent();
        lib.check(lib.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    // ---- copies through the staging buffer (DeviceBuffer calls these) -----------------------------------------

    /// Host → device, synchronous: from native memory directly, from a heap segment chunk by chunk.
    void copyToDevice(MemorySegment src, long dstAddress) {
        makeCurrent();
        long bytes = src.byteSize();
        if (src.isNative()) {
            lib.check(lib.cuMemcpyHtoD(dstAddress, src, bytes), "cuMemcpyHtoD", ByteSize.format(bytes));
            return;
        }
        MemorySegment stage = staging().segment();
        for (long done = 0; done < bytes; done += STAGING_BYTES) {
            long n = Math.min(STAGING_BYTES, bytes - done);
            MemorySegment.copy(src, done, stage, 0, n);
            // From pinned memory the call returns once the copy is done, so the chunk may be overwritten next.
            lib.check(lib.cuMemcpyHtoD(dstAddress + done, stage, n), "cuMemcpyHtoD", ByteSize.format(bytes));
        }
    }

    /// Device → host, synchronous (waits for earlier work on the card).
    void copyToHost(long srcAddress, MemorySegment dst) {
        makeCurrent();
        long bytes = dst.byteSize();
        if (dst.isNative()) {
            lib.check(lib.cuMemcpyDtoH(dst, srcAddress, bytes), "cuMemcpyDtoH", ByteSize.format(bytes));
            return;
        }
        MemorySegment stage = staging().segment();
        for (long done = 0; done < bytes; done += STAGING_BYTES) {
            long n = Math.min(STAGING_BYTES, bytes - done);
            lib.check(lib.cuMemcpyDtoH(stage, srcAddress + done, n), "cuMemcpyDtoH", ByteSize.format(bytes));
            MemorySegment.copy(stage, 0, dst, done, n);
        }
    }

    private PinnedBuffer staging() {
        if (staging == null) {
            staging = allocPinned(STAGING_BYTES);
            owned.remove(staging); // freed last, in close()
        }
        return staging;
    }

    void forget(AutoCloseable resource) {
        owned.remove(resource);
    }

    MemorySegment streamHandle(CudaStream s) {
        return s == null ? MemorySegment.NULL : s.handle();
    }

    /// Frees everything made through this context that is still open, then releases the primary context (the
    /// driver destroys it, and with it any memory left, when the last retain is released).
    @Override
    public void close() {
        if (closed) {
            return;
        }
        makeCurrent();
        List<RuntimeException> failures = new ArrayList<>();
        for (AutoCloseable resource : new ArrayList<>(owned).reversed()) {
            try {
                resource.close();
            } catch (RuntimeException e) {
                failures.add(e);
            } catch (Exception e) {
                failures.add(new IllegalStateException(e));
            }
        }
        owned.clear();
        try {
            if (staging != null) {
                staging.close();
            }
            if (stream != null) {
                stream.destroy();
            }
        } catch (RuntimeException e) {
            failures.add(e);
        } finally {
            closed = true;
            lib.cuCtxSetCurrent(MemorySegment.NULL);
            CURRENT.remove();
            int rc = lib.cuDevicePrimaryCtxRelease(device);
            if (rc != CudaLibrary.CUDA_SUCCESS) {
                failures.add(lib.failure(rc, "cuDevicePrimaryCtxRelease", "device " + ordinal,
                        lib.errorString(rc)));
            }
        }
        if (!failures.isEmpty()) {
            RuntimeException first = failures.getFirst();
            failures.stream().skip(1).forEach(first::addSuppressed);
            throw first;
        }
    }
}
