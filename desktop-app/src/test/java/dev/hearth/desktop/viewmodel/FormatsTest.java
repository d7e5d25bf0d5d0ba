package dev.hearth.desktop.viewmodel;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class FormatsTest {
    @Test
    void bytesUseBinaryUnitsWithADecimalBelowTen() {
        assertEquals("512 B", Formats.bytes(512));
        assertEquals("37 KB", Formats.bytes(38_000));
        assertEquals("1.5 GB", Formats.bytes(3L << 29));
        assertEquals("unknown", Formats.bytes(-1));
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
}
