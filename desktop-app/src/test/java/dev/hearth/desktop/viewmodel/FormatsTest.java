package dev.hearth.desktop.viewmodel;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class FormatsTest {
    @Test
    void bytesUseBinaryUnitsWithIecSymbolsAndADecimalBelowTen() {
        assertEquals("512 B", Formats.bytes(512));
        assertEquals("44 KiB", Formats.bytes(45_356)); // the example: 44.3 KiB, never "44 KB"
        assertEquals("37 KiB", Formats.bytes(38_000));
        assertEquals("1.5 GiB", Formats.bytes(3L << 29));
        assertEquals("1.0 MiB", Formats.bytes((1 << 20) - 20), "1023.98 KiB reads as the next unit, not 1024 KiB");
        assertEquals("8.0 EiB", Formats.bytes(Long.MAX_VALUE));
        assertEquals("unknown", Formats.bytes(-1));
    }

    @Test
    void creditsReadTheSameInTheHeaderAndEveryRow() {
        assertEquals("40,960.0", Formats.credits(40_960));
        assertEquals("8,192.0", Formats.credits(8_192.004));
        assertEquals("1.5", Formats.credits(1.5));
        assertEquals(dev.hearth.node.api.Units.credits(40_960), Formats.credits(40_960));
    }

    @Test
    void ratesAreSizesPerSecondAndZeroIsNoCap() {
        assertEquals("64 KiB/s", dev.hearth.node.api.Units.rate(64 * 1024));
        assertEquals("no cap", dev.hearth.node.api.Units.rate(0));
    }

    @Test
    void countsAndHours() {
        assertEquals("999", Formats.count(999));
        assertEquals("1.2 M", Formats.count(1_234_567));
        assertEquals("42 s", Formats.hours(42));
        assertEquals("30 min", Formats.hours(1800));
        assertEquals("2.5 h", Formats.hours(9000));
        assertEquals("—", Formats.decimal(Double.NaN, 2));
    }

    @Test
    void chartAxesUseRoundStepsAndATimeScale() {
        assertEquals(5.0, HardwareMetric.niceTick(23.54 / 5)); // memory: 0, 5, 10, 15, 20 GiB instead of 5.885, 11.77
        assertEquals(20.0, HardwareMetric.niceTick(100 / 5.0)); // CPU: 0, 20, ... 100 %
        assertEquals(2.5, HardwareMetric.niceTick(12 / 5.0));
        assertEquals(50.0, HardwareMetric.niceTick(30));
        assertEquals("23.5", HardwareMetric.valueTick(23.54));
        assertEquals("5", HardwareMetric.valueTick(5.0));
        assertEquals("now", HardwareMetric.timeTick(0));
        assertEquals("−30 s", HardwareMetric.timeTick(-30));
        assertEquals("−2 min", HardwareMetric.timeTick(-120));
    }
}
