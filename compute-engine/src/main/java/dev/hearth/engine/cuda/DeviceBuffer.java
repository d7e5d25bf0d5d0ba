package dev.hearth.engine.cuda;

import java.lang.foreign.MemorySegment;

/// Device memory from {@link CudaContext#alloc(long)}, or a {@link #slice} of it. {@link #close()} frees it
/// (`cuMemFree`); a slice is a view and frees nothing. Offsets and counts are checked here, because the driver
/// checks only that an address range lies inside *some* allocation.
///
/// The synchronous copies ({@link #upload}, {@link #download}) wait for earlier work on the card and go through
/// the context's pinned staging buffer (why: {@link CudaContext}); the async ones take pinned memory.
public final class DeviceBuffer implements AutoCloseable {

    private final CudaContext context;
    private final long address;
    private final long bytes;
    private final DeviceBuffer root; // this, or the allocation a slice views
    private boolean freed;

    DeviceBuffer(CudaContext context, long address, long bytes) {
        this(context, address, bytes, null);
    }

    private DeviceBuffer(CudaContext context, long address, long bytes, DeviceBuffer root) {
        this.context = context;
        this.address = address;
        this.bytes = bytes;
        this.root = root == null ? this : root;
    }

    /// The device address (`CUdeviceptr`), as a kernel argument takes it.
    public long address() {
        return address;
    }

    public long bytes() {
        return bytes;
    }

    /// `cuMemcpyHtoD`: `count` floats from `src[srcOffset]` to this buffer at float `dstOffsetFloats`.
    public void upload(float[] src, int srcOffset, long dstOffsetFloats, int count) {
        checkHost(src.length, srcOffset, count);
        long at = range(dstOffsetFloats, count, Float.BYTES);
        context.copyToDevice(MemorySegment.ofArray(src).asSlice(srcOffset * 4L, count * 4L), at);
    }

    /// `cuMemcpyHtoD`: `count` ints from `src[srcOffset]` to this buffer at int `dstOffsetInts`.
    public void upload(int[] src, int srcOffset, long dstOffsetInts, int count) {
        checkHost(src.length, srcOffset, count);
        long at = range(dstOffsetInts, count, Integer.BYTES);
        context.copyToDevice(MemorySegment.ofArray(src).asSlice(srcOffset * 4L, count * 4L), at);
    }

    /// `cuMemcpyHtoD`: all of `src` (heap or native memory) to this buffer at byte `dstOffsetBytes`.
    public void upload(MemorySegment src, long dstOffsetBytes) {
        long at = range(dstOffsetBytes, src.byteSize(), 1);
        context.copyToDevice(src, at);
    }

    /// `cuMemcpyDtoH`: `count` floats from float `srcOffsetFloats` of this buffer into `dst[dstOffset]`.
    public void download(long srcOffsetFloats, float[] dst, int dstOffset, int count) {
        checkHost(dst.length, dstOffset, count);
        long at = range(srcOffsetFloats, count, Float.BYTES);
        context.copyToHost(at, MemorySegment.ofArray(dst).asSlice(dstOffset * 4L, count * 4L));
    }

    /// `cuMemcpyDtoH`: `count` ints from int `srcOffsetInts` of this buffer into `dst[dstOffset]`.
    public void download(long srcOffsetInts, int[] dst, int dstOffset, int count) {
        checkHost(dst.length, dstOffset, count);
        long at = range(srcOffsetInts, count, Integer.BYTES);
        context.copyToHost(at, MemorySegment.ofArray(dst).asSlice(dstOffset * 4L, count * 4L));
    }

    /// `cuMemcpyDtoH`: `dst.byteSize()` bytes from byte `srcOffsetBytes` of this buffer into `dst`.
    public void download(long srcOffsetBytes, MemorySegment dst) {
        long at = range(srcOffsetBytes, dst.byteSize(), 1);
        context.copyToHost(at, dst);
    }

    /// `cuMemcpyHtoDAsync` on `stream`: returns at once; `src` must not change until the stream has run it.
    public void uploadAsync(PinnedBuffer src, long srcOffsetBytes, long dstOffsetBytes, long count,
                            CudaStream stream) {
        MemorySegment from = src.segment().asSlice(srcOffsetBytes, count);
        long at = range(dstOffsetBytes, count, 1);
        context.lib.check(context.lib.cuMemcpyHtoDAsync(at, from, count, context.streamHandle(stream)),
                "cuMemcpyHtoDAsync", ByteSize.format(count));
    }

    /// `cuMemcpyDtoHAsync` on `stream`: returns at once; read `dst` after the stream is synchronized.
    public void downloadAsync(long srcOffsetBytes, PinnedBuffer dst, long dstOffsetBytes, long count,
                              CudaStream stream) {
        MemorySegment to = dst.segment().asSlice(dstOffsetBytes, count);
        long at = range(srcOffsetBytes, count, 1);
        context.lib.check(context.lib.cuMemcpyDtoHAsync(to, at, count, context.streamHandle(stream)),
                "cuMemcpyDtoHAsync", ByteSize.format(count));
    }

    /// `cuMemsetD32` with 0 (the trailing bytes of a size not a multiple of 4 by `cuMemsetD8`).
    public void zero() {
        fillWords(0);
    }

    /// `cuMemsetD32` with `value`'s bits: every float of this buffer becomes `value`.
    public void fill(float value) {
        if (bytes % Float.BYTES != 0) {
            throw new IllegalStateException("fill(float) on " + bytes + " bytes, not a whole number of floats");
        }
        fillWords(Float.floatToRawIntBits(value));
    }

    private void fillWords(int word) {
        live();
        long words = bytes / 4;
        if (words > 0) {
            context.lib.check(context.lib.cuMemsetD32(address, word, words), "cuMemsetD32", ByteSize.format(bytes));
        }
        long tail = bytes - words * 4;
        if (tail > 0) {
            context.lib.check(context.lib.cuMemsetD8(address + words * 4, (byte) word, tail), "cuMemsetD8",
                    ByteSize.format(tail));
        }
    }

    /// A view of `bytes` bytes from `offsetBytes`; it is not separately freed and dies with this buffer.
    public DeviceBuffer slice(long offsetBytes, long bytes) {
        if (offsetBytes < 0 || bytes <= 0 || offsetBytes + bytes > this.bytes) {
            throw new IndexOutOfBoundsException("slice of " + bytes + " bytes at " + offsetBytes
                    + " outside a device buffer of " + this.bytes + " bytes");
        }
        return new DeviceBuffer(context, address + offsetBytes, bytes, root);
    }

    /// `cuMemFree` (nothing for a slice). Closing twice is harmless.
    @Override
    public void close() {
        if (root != this || freed) {
            return;
        }
        context.makeCurrent();
        freed = true;
        context.forget(this);
        context.lib.check(context.lib.cuMemFree(address), "cuMemFree", ByteSize.format(bytes));
    }

    /// Checks the buffer is live and `[offset, offset + count)` elements of `elementBytes` lie inside it;
    /// returns the device address of the first.
    private long range(long offset, long count, int elementBytes) {
        live();
        if (offset < 0 || count < 0 || (offset + count) * elementBytes > bytes) {
            throw new IndexOutOfBoundsException(count + " elements of " + elementBytes + " bytes at element "
                    + offset + " outside a device buffer of " + bytes + " bytes");
        }
        return address + offset * elementBytes;
    }

    private void live() {
        if (root.freed) {
            throw new IllegalStateException("device buffer of " + ByteSize.format(root.bytes) + " used after close");
        }
        context.makeCurrent();
    }

    private static void checkHost(int length, int offset, int count) {
        if (offset < 0 || count < 0 || (long) offset + count > length) {
            throw new IndexOutOfBoundsException(count + " elements at " + offset + " outside an array of " + length);
        }
    }
}
