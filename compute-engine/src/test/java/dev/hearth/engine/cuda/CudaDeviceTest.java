package dev.hearth.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/// The binding on a real GPU: memory, copies, a kernel launch, JIT errors and out-of-memory. Skipped without
/// a device (tag `gpu`, excluded from the default run; the GPU check runs it).
@Tag("gpu")
class CudaDeviceTest {

    private static CudaDriver driver;
    private static CudaContext context;
    private static String ptx;

    @BeforeAll
    static void openFirstGpu() throws IOException {
        driver = InstalledDriver.driverWithGpuOrSkip();
        context = driver.open(0);
        try (InputStream in = CudaDeviceTest.class.getResourceAsStream("driver_test_kernels.ptx")) {
            ptx = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @AfterAll
    static void closeContext() {
        if (context != null) {
            context.close();
        }
    }

    @Test
    void loadsTheSameDriverOncePerProcess() throws Exception {
        assertSame(driver, CudaDriver.load());
    }

    @Test
    void describesTheCard() {
        DeviceInfo info = driver.device(0);
        System.out.println("device 0: " + info + ", driver " + driver.driverVersion());
        assertTrue(!info.name().isBlank() && info.ccMajor() >= 3 && info.multiprocessors() > 0, info.toString());
        assertTrue(info.totalBytes() > (256L << 20), info.toString());
        assertTrue(info.maxSharedBytesPerBlockOptin() >= 48 << 10, info.toString());
    }

    @Test
    void uploadsAndDownloadsFloatsAndIntsAtOffsets() {
        float[] x = new float[1000];
        for (int i = 0; i < x.length; i++) {
            x[i] = i * 0.5f - 7;
        }
        try (DeviceBuffer buf = context.alloc(4000)) {
            buf.upload(x, 0, 0, 1000);
            float[] back = new float[1000];
            buf.download(0, back, 0, 1000);
            assertArrayEquals(x, back);
            buf.upload(new float[] {1, 2, 3}, 1, 10, 2); // floats 2, 3 at 10, 11
            float[] two = new float[4];
            buf.download(9, two, 1, 3);
            assertArrayEquals(new float[] {0, x[9], 2, 3}, two);
            int[] ints = {5, -6, 7};
            buf.upload(ints, 0, 100, 3);
            int[] intsBack = new int[3];
            buf.download(100, intsBack, 0, 3);
            assertArrayEquals(ints, intsBack);
            assertThrows(IndexOutOfBoundsException.class, () -> buf.download(999, new float[2], 0, 2));
        }
    }

    @Test
    void copiesMoreThanOneStagingBufferAtOnce() {
        int n = (int) (CudaContext.STAGING_BYTES / 4 * 2 + 12345); // 2.x chunks
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i;
        }
        try (DeviceBuffer buf = context.alloc(4L * n)) {
            buf.upload(x, 0, 0, n);
            float[] back = new float[n];
            buf.download(0, back, 0, n);
            assertArrayEquals(x, back);
        }
    }

    @Test
    void zeroesFillsAndSlices() {
        try (DeviceBuffer buf = context.alloc(64 * 4 + 3)) {
            buf.slice(0, 64 * 4).fill(2.5f);
            DeviceBuffer tail = buf.slice(32 * 4, 32 * 4);
            tail.zero();
            float[] back = new float[64];
            buf.download(0, back, 0, 64);
            float[] want = new float[64];
            Arrays.fill(want, 0, 32, 2.5f);
            assertArrayEquals(want, back);
            buf.zero(); // 67 words' worth of bytes: D32 for 64 floats, D8 for the 3 trailing bytes
            buf.download(0, back, 0, 64);
            assertArrayEquals(new float[64], back);
            assertEquals(buf.address() + 128, tail.address());
        }
    }

    @Test
    void memInfoSeesAnAllocation() {
        MemInfo before = context.memInfo();
        long bytes = 256L << 20;
        try (DeviceBuffer buf = context.alloc(bytes)) {
            MemInfo during = context.memInfo();
            System.out.println("memInfo before " + before + ", with 256 MiB allocated " + during);
            assertEquals(before.totalBytes(), during.totalBytes());
            assertTrue(before.freeBytes() - during.freeBytes() >= bytes * 9 / 10, before + " → " + during);
        }
    }

    @Test
    void launchesAPtxKernelAndReadsItsResult() {
        try (CudaModule module = context.loadModule(ptx)) {
            CudaFunction saxpy = module.function("saxpy");
            assertEquals("saxpy", saxpy.name());
            int n = 1000;
            float[] x = new float[n];
            float[] y = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = i;
                y[i] = 1;
            }
            try (DeviceBuffer dx = context.alloc(4L * n); DeviceBuffer dy = context.alloc(4L * n)) {
                dx.upload(x, 0, 0, n);
                dy.upload(y, 0, 0, n);
                CudaStream stream = context.stream();
                saxpy.launch((n + 255) / 256, 1, 1, 256, 1, 1, 0, stream, 2f, dx, dy, n);
                stream.synchronize();
                float[] out = new float[n];
                dy.download(0, out, 0, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(2f * i + 1, out[i], "y[" + i + "]");
                }
            }
        }
    }

    @Test
    void launchesWithLongArgumentsAndDynamicSharedMemoryAboveTheDefault() {
        DeviceInfo info = driver.device(0);
        try (CudaModule module = context.loadModule(ptx)) {
            CudaFunction iota = module.function("iota_shared");
            int shared = info.maxSharedBytesPerBlockOptin();
            iota.setMaxDynamicSharedBytes(shared);
            int n = 500;
            try (DeviceBuffer out = context.alloc(8L * n)) {
                iota.launch(2, 1, 1, 256, 1, 1, shared, context.stream(), 1L << 40, out, n);
                context.synchronize();
                MemorySegment host = MemorySegment.ofArray(new long[n]);
                out.download(0, host);
                for (int i = 0; i < n; i++) {
                    assertEquals((1L << 40) + i, host.getAtIndex(ValueLayout.JAVA_LONG, i));
                }
            }
        }
    }

    @Test
    void asyncCopiesThroughPinnedMemoryAreOrderedOnTheStream() {
        int n = 4096;
        try (PinnedBuffer pinned = context.allocPinned(4L * n); DeviceBuffer buf = context.alloc(4L * n)) {
            for (int i = 0; i < n; i++) {
                pinned.segment().setAtIndex(ValueLayout.JAVA_FLOAT, i, i * 3f);
            }
            CudaStream stream = context.stream();
            CudaEvent start = context.event();
            CudaEvent end = context.event();
            start.record(stream);
            buf.uploadAsync(pinned, 0, 0, 4L * n, stream);
            buf.downloadAsync(0, pinned, 0, 4L * n, stream);
            end.record(stream);
            end.synchronize();
            assertTrue(end.elapsedMillisSince(start) >= 0);
            for (int i = 0; i < n; i++) {
                assertEquals(i * 3f, pinned.segment().getAtIndex(ValueLayout.JAVA_FLOAT, i));
            }
            start.close();
            end.close();
        }
    }

    @Test
    void aPtxTheJitRejectsSaysWhy() {
        String broken = ".version 7.8\n.target sm_75\n.address_size 64\n.visible .entry bad() {\n  frobnicate;\n}\n";
        CudaException e = assertThrows(CudaException.class, () -> context.loadModule(broken));
        System.out.println(e.getMessage());
        assertTrue(e.getMessage().startsWith("cuModuleLoadDataEx(" + ByteSize.format(broken.length()) + " PTX): "
                + "CUDA_ERROR_INVALID_PTX ("), e.getMessage());
        assertTrue(e.getMessage().contains("frobnicate") || e.getMessage().contains("line 5"), e.getMessage());
    }

    @Test
    void anAllocationLargerThanTheCardReportsOutOfMemory() {
        long tooMuch = driver.device(0).totalBytes() * 2;
        CudaException e = assertThrows(CudaException.class, () -> context.alloc(tooMuch));
        assertTrue(e.isOutOfMemory(), e.getMessage());
        assertEquals("cuMemAlloc(" + ByteSize.format(tooMuch) + "): CUDA_ERROR_OUT_OF_MEMORY (out of memory)",
                e.getMessage());
        // The context is still usable afterwards: an OOM is the one failure the trainer recovers from.
        try (DeviceBuffer small = context.alloc(1024)) {
            small.zero();
        }
    }

    @Test
    void anotherThreadMayUseTheContextItMakesCurrentThere() throws Exception {
        try (DeviceBuffer buf = context.alloc(16); ExecutorService other = Executors.newSingleThreadExecutor()) {
            buf.upload(new float[] {1, 2, 3, 4}, 0, 0, 4);
            float[] back = other.submit(() -> {
                float[] b = new float[4];
                buf.download(0, b, 0, 4);
                return b;
            }).get();
            assertArrayEquals(new float[] {1, 2, 3, 4}, back);
        }
    }

    @Test
    void closingAContextFreesWhatWasLeftOpen() {
        MemInfo idle = context.memInfo();
        CudaContext second = driver.open(0); // the same primary context, retained twice
        second.alloc(512L << 20); // never closed by hand
        second.close();
        context.makeCurrent();
        MemInfo after = context.memInfo();
        assertTrue(Math.abs(after.freeBytes() - idle.freeBytes()) < (64L << 20), idle + " → " + after);
        assertThrows(IllegalStateException.class, () -> second.alloc(16));
        assertNotEquals(0, after.freeBytes());
    }
}
