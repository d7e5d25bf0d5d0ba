package dev.hearth.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ByteSizeTest {

    @Test
    void writesBinaryUnitsWithAtMostOneDecimal() {
        assertEquals("0 B", ByteSize.format(0));
        assertEquals("1023 B", ByteSize.format(1023));
        assertEquals("1 KiB", ByteSize.format(1024));
        assertEquals("1.5 KiB", ByteSize.format(1536));
        assertEquals("512 MiB", ByteSize.format(512L << 20));
        assertEquals("1.2 GiB", ByteSize.format((long) (1.2 * (1L << 30))));
        assertEquals("8 GiB", ByteSize.format(8L << 30));
        assertEquals("141 GiB", ByteSize.format(141L << 30));
    }

    @Test
    void roundsUpIntoTheNextUnitRatherThanPrinting1024() {
        assertEquals("1 GiB", ByteSize.format((1L << 30) - 1));
    }
}
