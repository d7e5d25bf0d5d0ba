package dev.hearth.node.energy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.node.api.EnergySource;
import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.api.RoundEnergy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// RAPL against a fake powercap tree laid out as the kernel does (`intel-rapl:0/energy_uj`, a
/// sub-zone `intel-rapl:0:0`, `max_energy_range_uj`).
class RaplCountersTest {

    @TempDir Path root;

    private void zone(String name, long energyUj, long maxUj) throws IOException {
        Path d = Files.createDirectories(root.resolve(name));
        Files.writeString(d.resolve("energy_uj"), energyUj + "\n");
        Files.writeString(d.resolve("max_energy_range_uj"), maxUj + "\n");
    }

    @Test
    void sumsPackagesAndLeavesSubZonesOut() throws IOException {
        zone("intel-rapl:0", 1_000_000, 262_143_328_850L);
        zone("intel-rapl:0:0", 500_000, 262_143_328_850L); // cores, part of package 0
        zone("intel-rapl:1", 2_000_000, 262_143_328_850L);
        RaplCounters c = RaplCounters.open(root).counters().orElseThrow();
        long[] before = c.read();
        assertArrayEquals(new long[] {1_000_000, 2_000_000}, before);
        zone("intel-rapl:0", 31_000_000, 262_143_328_850L);
        zone("intel-rapl:0:0", 900_000_000, 262_143_328_850L);
        zone("intel-rapl:1", 12_000_000, 262_143_328_850L);
        assertEquals(30 + 10, c.joulesSince(before, c.read()), 1e-9);
    }

    @Test
    void countsAWrapAroundPastMaxEnergyRange() throws IOException {
        long max = 1_000_000_000L; // 1 kJ
        zone("intel-rapl:0", max - 2_000_000, max);
        RaplCounters c = RaplCounters.open(root).counters().orElseThrow();
        long[] before = c.read();
        zone("intel-rapl:0", 3_000_000, max); // went past the range: 2 J before the wrap, 3 J after
        assertEquals(5, c.joulesSince(before, c.read()), 1e-9);
    }

    @Test
    void aMeterReadingRaplOftenCountsEachWrapOfALongRound() throws IOException {
        long max = 10_000_000L; // 10 J range, so a 25 J round wraps twice
        zone("intel-rapl:0", 0, max);
        RoundEnergyMeter meter = new RoundEnergyMeter(RaplCounters.open(root));
        RoundEnergyMeter.Round round = meter.start(Instant.EPOCH, 0);
        Instant t = Instant.EPOCH;
        for (long uj : new long[] {8_000_000, 3_000_000, 9_000_000, 5_000_000}) { // +8, +5, +6, +6 J
            zone("intel-rapl:0", uj, max);
            t = t.plusSeconds(1);
            round.sample(new HardwareSample(t, 0, 0, 0, 0, 0, List.of()));
        }
        RoundEnergy e = round.finish(1000);
        assertEquals(EnergySource.RAPL, e.source());
        assertEquals(25, e.joules(), 1e-9);
    }

    @Test
    void anUnreadableCounterSaysWhyAndTheMeterEstimates() throws IOException {
        Files.createDirectories(root.resolve("intel-rapl:0")); // energy_uj missing, as when it is root-only
        RaplCounters.Result r = RaplCounters.open(root);
        assertTrue(r.counters().isEmpty());
        assertTrue(r.why().contains("not readable"), r.why());
        RoundEnergyMeter.Round round = new RoundEnergyMeter(r).start(Instant.EPOCH, 10);
        RoundEnergy e = round.finish(70); // 60 CPU-seconds
        assertEquals(EnergySource.ESTIMATE, e.source());
        assertEquals(60 * CpuEnergyEstimate.WATTS_PER_BUSY_CORE, e.joules(), 1e-9);
        assertTrue(e.words().endsWith("(estimated)"), e.words());
    }

    @Test
    void aTrainerStartedDuringTheRoundCountsAllItsCpuTime() {
        RoundEnergyMeter meter = new RoundEnergyMeter(RaplCounters.open(root.resolve("absent")));
        RoundEnergy e = meter.start(Instant.EPOCH, Double.NaN).finish(8);
        assertEquals(8 * CpuEnergyEstimate.WATTS_PER_BUSY_CORE, e.joules(), 1e-9);
    }

    @Test
    void noPowercapTreeIsSaidInWords() {
        RaplCounters.Result r = RaplCounters.open(root.resolve("absent"));
        assertTrue(r.why().startsWith("no powercap tree"), r.why());
    }

    @Test
    void gpuPowerOfTheCardHearthHoldsWinsOverTheCpu() throws IOException {
        zone("intel-rapl:0", 0, 1_000_000_000L);
        RoundEnergyMeter.Round round = new RoundEnergyMeter(RaplCounters.open(root)).start(Instant.EPOCH, 0);
        var ours = new HardwareSample.GpuSample("RTX", 1, 1, 2, 60, 150, 1 << 30);
        var other = new HardwareSample.GpuSample("iGPU", 0, 1, 2, 40, 20, 0);
        for (int s = 0; s <= 10; s++) {
            round.sample(new HardwareSample(Instant.EPOCH.plusSeconds(s), 0, 0, 0, 0, 0, List.of(ours, other)));
        }
        RoundEnergy e = round.finish(5);
        assertEquals(EnergySource.NVML, e.source());
        assertEquals(1_500, e.joules(), 1e-9); // 150 W × 10 s; the iGPU without Hearth's VRAM is not counted
        assertEquals("0.00042 kWh (measured, GPU)", e.words()); // 1500 J = 0.000417 kWh, two significant digits
    }
}
