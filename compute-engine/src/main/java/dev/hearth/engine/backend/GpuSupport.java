package dev.hearth.engine.backend;

/// Which NVIDIA GPUs ND4J 1.0.0-M2.1's CUDA 11.6 build can run on, as a pure function.
///
/// `libnd4jcuda.so` carries machine code (cubins) for sm_37, 50, 52, 60, 61, 70, 75, 80 and 86 and **no PTX**,
/// so the driver cannot JIT-compile it for newer architectures. A cubin runs on its own architecture and on
/// later minor revisions of the same major one (binary compatibility), hence: 3.7, 5.x, 6.x, 7.x and 8.x
/// (8.9 = RTX 40 via the sm_86 code) work; 3.0–3.5 and anything from 9.0 on (H100, RTX 50 = 12.0) do not.
public final class GpuSupport {

    private GpuSupport() {
    }

    /// The answer for one card, with a sentence for its owner.
    public record Verdict(boolean usable, String reason) {
    }

    public static Verdict verdict(String name, int major, int minor) {
        String card = name + " (compute capability " + major + "." + minor + ")";
        if (major < 3 || (major == 3 && minor < 7)) {
            return new Verdict(false, card + " is older than ND4J's CUDA build supports (3.7 and newer)");
        }
        if (major >= 9) {
            return new Verdict(false, card + " is newer than ND4J's CUDA build supports (3.7–8.6 native, "
                    + "8.9 via compatibility)");
        }
        if (major == 8 && minor > 6) {
            return new Verdict(true, card + " runs ND4J's sm_86 code through binary compatibility");
        }
        return new Verdict(true, card + " is supported by ND4J's CUDA build");
    }
}
