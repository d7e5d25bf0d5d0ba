package dev.hearth.engine.demo;

import java.util.Arrays;
import java.util.stream.Collectors;

/// How the kept DCT coefficients' values travel on the wire (indices are always uint16 within the block).
///
/// Both encodings carry one fp32 scale per block, see {@link UpdateCodec}. Each encoding has three names, each
/// mapped here and nowhere else: its name in a run's config (`demo.encoding`, the worker's command line), its
/// `RunConfig.value_encoding` on the protocol, and its byte in an encoded update's header.
public enum ValueEncoding {
    /// One bit per value (its sign) times the block's scale `mean |v|`: ~16× smaller values than fp16.
    SIGN_1BIT((byte) 0, "sign", dev.hearth.protocol.wire.ValueEncoding.SIGN_1BIT),
    /// IEEE half precision of `v / max |v|` times the block's scale `max |v|`: 2 bytes per value.
    FP16((byte) 1, "fp16", dev.hearth.protocol.wire.ValueEncoding.FP16);

    private final byte wireId;
    private final String configName;
    private final dev.hearth.protocol.wire.ValueEncoding wire;

    ValueEncoding(byte wireId, String configName, dev.hearth.protocol.wire.ValueEncoding wire) {
        this.wireId = wireId;
        this.configName = configName;
        this.wire = wire;
    }

    /// The encoding's name in a run's config (`demo.encoding`) and on the worker's command line.
    public String configName() {
        return configName;
    }

    /// The encoding whose {@link #configName} is `name`.
    ///
    /// @throws IllegalArgumentException naming the known names
    public static ValueEncoding named(String name) {
        for (ValueEncoding e : values()) {
            if (e.configName.equals(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException("value encoding must be one of " + configNames() + ", got '" + name + "'");
    }

    /// Every {@link #configName}, comma-separated, in declaration order (for error messages).
    public static String configNames() {
        return Arrays.stream(values()).map(ValueEncoding::configName).collect(Collectors.joining(", "));
    }

    /// The encoding as a run's wire config names it (`RunConfig.value_encoding`).
    public dev.hearth.protocol.wire.ValueEncoding toWire() {
        return wire;
    }

    /// The encoding a run's wire config names by `number` (`RunConfig.getValueEncodingValue()`). Unset (0) is 1-bit
    /// signs (what every coordinator sent before FP16).
    ///
    /// @throws IllegalArgumentException for a number this version does not know (a newer coordinator's)
    public static ValueEncoding fromWire(int number) {
        var wire = dev.hearth.protocol.wire.ValueEncoding.forNumber(number);
        if (wire == dev.hearth.protocol.wire.ValueEncoding.VALUE_ENCODING_UNSPECIFIED) {
            return SIGN_1BIT;
        }
        for (ValueEncoding e : values()) {
            if (e.wire == wire) {
                return e;
            }
        }
        throw new IllegalArgumentException("the run's value encoding " + number
                + " is not one this version of Hearth knows (" + configNames() + "); update Hearth");
    }

    /// The byte that names this encoding in an encoded update's header.
    public byte wireId() {
        return wireId;
    }

    /// The encoding with this wire id, or `null` if there is none (the decoder reports it).
    static ValueEncoding fromWireId(int id) {
        for (ValueEncoding e : values()) {
            if (e.wireId == id) {
                return e;
            }
        }
        return null;
    }
}
