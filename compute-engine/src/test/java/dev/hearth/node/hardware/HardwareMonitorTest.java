package dev.hearth.node.hardware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import dev.hearth.node.api.GpuCheck;
import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.log.EventLog;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class HardwareMonitorTest {

    @Test
    void sampleReportsMachineAndOwnShare() throws Exception {
        Clock clock = Clock.systemUTC();
        try (HardwareMonitor m = new HardwareMonitor(clock, new EventLog(clock).logger("hw"), new HearthProcesses())) {
            m.sampleNow();
            long end = System.nanoTime() + 300_000_000L;
            double x = 0;
            while (System.nanoTime() < end) x += Math.sqrt(x + 1); // some CPU of our own to measure
            HardwareSample s = m.sampleNow();
            assertTrue(x > 0);
            assertTrue(s.memoryTotalBytes() > 0);
            assertTrue(s.memoryUsedBytes() > 0 && s.memoryUsedBytes() <= s.memoryTotalBytes());
            assertTrue(s.hearthRssBytes() > 10L << 20, "a JVM holds more than 10 MB: " + s.hearthRssBytes());
            assertTrue(s.cpuLoad() >= 0 && s.cpuLoad() <= 1);
            assertTrue(s.hearthCpuLoad() > 0 && s.hearthCpuLoad() <= 1, "we just burned CPU: " + s.hearthCpuLoad());
            assertNotNull(s.gpus());
            assertEquals(s, m.latest());
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void samplerThreadPublishesTheLatestValue() throws Exception {
        Clock clock = Clock.systemUTC();
        try (HardwareMonitor m = new HardwareMonitor(clock, new EventLog(clock).logger("hw"), new HearthProcesses())) {
            HardwareSample first = m.latest();
            m.start(Duration.ofMillis(10)); // raised to the 1 s minimum
            while (m.latest() == first) Thread.sleep(20);
            assertTrue(m.latest().memoryTotalBytes() > 0);
        }
    }

    @Test
    void gpuCheckOnThisMachineExplainsItself() {
        Clock clock = Clock.systemUTC();
        try (HardwareMonitor m = new HardwareMonitor(clock, new EventLog(clock).logger("hw"), new HearthProcesses())) {
            GpuCheck c = m.gpuCheck(-1);
            assertFalse(c.verdict().isBlank());
            if (!c.usable()) assertTrue(c.verdict().contains("CPU"), c.verdict());
        }
    }

    @Test
    void ownProcessesIncludeThisJvmAndRegisteredPids() {
        HearthProcesses p = new HearthProcesses();
        p.register(424242);
        assertTrue(p.pids().contains(ProcessHandle.current().pid()));
        assertTrue(p.pids().contains(424242L));
        p.unregister(424242);
        assertFalse(p.pids().contains(424242L));
    }

    @Test
    void nvmlProcessInfosAreReadAtTheirStride() {
        try (Memory buf = new Memory(2 * Nvml.PROCESS_INFO_V2_BYTES)) {
            buf.clear();
            buf.setInt(0, 1234);
            buf.setLong(8, 512L << 20);
            buf.setInt(Nvml.PROCESS_INFO_V2_BYTES, (int) 4_000_000_000L); // a PID above 2^31 stays positive
            buf.setLong(Nvml.PROCESS_INFO_V2_BYTES + 8, -1L);                  // NVML_VALUE_NOT_AVAILABLE
            List<Nvml.GpuProcess> ps = Nvml.parseProcessInfos(buf, 2, Nvml.PROCESS_INFO_V2_BYTES, true);
            assertEquals(new Nvml.GpuProcess(1234, 512L << 20, true), ps.get(0));
            assertEquals(new Nvml.GpuProcess(4_000_000_000L, -1, true), ps.get(1));
        }
    }

    @Test
    void nvmlIsUnavailableWithAReasonOnMachinesWithoutTheDriver() {
        var r = Nvml.get();
        if (!r.isAvailable()) assertTrue(r.describe().contains("NVIDIA") || r.describe().contains("NVML"), r.describe());
    }

    @Test
    void hearthsVramIsTheWorkersCudaContextsAndZeroOnceItEnded() {
        long worker = 4242, app = 100, game = 777;
        var training = List.of(
                new Nvml.GpuProcess(app, 90L << 20, true), // the app's window: a graphics context, not training
                new Nvml.GpuProcess(worker, 3L << 30, false),
                new Nvml.GpuProcess(worker, 3L << 30, false), // listed twice: counted once
                new Nvml.GpuProcess(game, 6L << 30, false));
        assertEquals(3L << 30, HardwareMonitor.hearthVramBytes(training, java.util.Set.of(app, worker)));
        // Paused: the worker ended, so it is no longer listed; the app's window still is.
        var paused = List.of(new Nvml.GpuProcess(app, 90L << 20, true), new Nvml.GpuProcess(game, 6L << 30, false));
        assertEquals(0, HardwareMonitor.hearthVramBytes(paused, java.util.Set.of(app)));
        // Windows (WDDM) does not say a process's memory: unknown, not zero.
        var wddm = List.of(new Nvml.GpuProcess(worker, -1, false));
        assertEquals(-1, HardwareMonitor.hearthVramBytes(wddm, java.util.Set.of(app, worker)));
    }
}
