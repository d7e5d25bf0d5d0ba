package dev.hearth.engine.demo;

/// How the kept DCT coefficients' values travel on the wire (indices are always uint16 within the block).
///
/// Both encodings carry one fp32 scale per block, see {@link UpdateCodec}.
public enum ValueEncoding {
    /// One bit per value (its sign) times the block's scale `mean |v|`: ~16× smaller values than fp16.
    SIGN_1BIT((byte) 0),
    /// IEEE half precision of `v / max |v|` times the block's scale `max |v|`: 2 bytes per value.
    FP16((byte) 1);

    private final byte wireId;

    ValueEncoding(byte wireId) {
        this.wireId = wireId;
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
