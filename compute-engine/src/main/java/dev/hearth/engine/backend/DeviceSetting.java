package dev.hearth.engine.backend;

import dev.hearth.engine.cuda.GpuChoice;
import java.util.OptionalInt;

/// The owner's choice of where to train: `auto` (a usable NVIDIA GPU, else the CPU), `cpu` (never the GPU), or a
/// GPU's index as the driver numbers them (that card or the CPU, never another card). The worker's `--device`
/// option and the node's settings (`gpuIndex`) carry it.
///
/// @param forceCpu train on the CPU whatever the GPUs
/// @param gpu      the card picked by index; empty = automatic
public record DeviceSetting(boolean forceCpu, OptionalInt gpu) {

    public static final DeviceSetting AUTO = new DeviceSetting(false, OptionalInt.empty());
    public static final DeviceSetting CPU = new DeviceSetting(true, OptionalInt.empty());

    public DeviceSetting {
        if (forceCpu && gpu.isPresent()) {
            throw new IllegalArgumentException("device: the CPU and GPU #" + gpu.getAsInt() + " at once");
        }
        if (gpu.isPresent() && gpu.getAsInt() < 0) {
            throw new IllegalArgumentException("device: GPU index " + gpu.getAsInt() + "; indices start at 0");
        }
    }

    public static DeviceSetting gpu(int index) {
        return new DeviceSetting(false, OptionalInt.of(index));
    }

    /// `auto`, `cpu` or a GPU index (`0`, `1`, ...), as `--device` takes it.
    public static DeviceSetting parse(String text) {
        String t = text.strip();
        if (t.equalsIgnoreCase("auto")) {
            return AUTO;
        }
        if (t.equalsIgnoreCase("cpu")) {
            return CPU;
        }
        try {
            return gpu(Integer.parseInt(t));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("device '" + text + "': expected auto, cpu or a GPU index (0, 1, ...)");
        }
    }

    /// GpuChoice's form of the same choice.
    public GpuChoice.Settings choiceSettings() {
        return new GpuChoice.Settings(forceCpu, gpu);
    }

    /// `auto`, `cpu` or the index: what {@link #parse} reads back.
    @Override
    public String toString() {
        return forceCpu ? "cpu" : gpu.isPresent() ? Integer.toString(gpu.getAsInt()) : "auto";
    }
}
