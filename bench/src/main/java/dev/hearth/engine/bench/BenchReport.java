package dev.hearth.engine.bench;

import dev.hearth.engine.model.ParameterLayout;
import java.util.Locale;

/// The engine benchmark's results as one JSON object (`--json FILE`), for scripts such as `bench/gpu/check.sh`:
///
/// ```
/// {"status": "ok" | "unavailable", "reason": "…" (unavailable only),
///  "model": "gpt2-small", "parameters": 86235648, "backend": "cuda", "precision": "fp32", "device": 0,
///  "batch": 8, "microBatch": 8, "context": 1024, "steps": 30, "warmup": 5,
///  "flopsPerToken": 6.2e8, "peakTflops": 67.0 | null,
///  "hearth":  {"description": "…", "tokensPerSecond": …, "initialLoss": …, "finalLoss": …,
///              "validationLoss": … | null, "peakMemoryMb": …, "memoryMeasure": "…", "mfu": … | null},
///  "pytorch": {"tokensPerSecond": …, "peakMemoryMb": …, "mfu": … | null, "result": {gpt_reference.py's result.json}},
///  "ratio":   {"speed": …, "peakMemory": …},
///  "gradientCheck": {"hearthInitialLoss": …, "pytorchInitialLoss": …, "worstTensor": "…",
///                    "maxAbsDiffOverMaxAbs": …}}
/// ```
/// Numbers that were not measured are `null`, never invented.
final class BenchReport {

    private final StringBuilder head = new StringBuilder();
    private String hearth;
    private String pytorch;
    private double hearthTps = Double.NaN;
    private double hearthMemory = Double.NaN;
    private double torchTps = Double.NaN;
    private double torchMemory = Double.NaN;
    private String gradient;

    BenchReport(EngineBenchmark.Options o, String description, String memoryMeasure, double flopsPerToken) {
        head.append(common(o)).append(",\"flopsPerToken\":").append(num(flopsPerToken));
        this.hearth = "{\"description\":" + str(description) + ",\"memoryMeasure\":" + str(memoryMeasure);
    }

    /// Why nothing was measured (no GPU, no CUDA engine), with the options that asked.
    static String unavailable(EngineBenchmark.Options o, String reason) {
        return "{\"status\":\"unavailable\",\"reason\":" + str(reason) + "," + common(o).substring(1) + "}\n";
    }

    void hearth(double tokensPerSecond, EngineBenchmark.Result r, double mfu) {
        hearthTps = tokensPerSecond;
        hearthMemory = r.peakMemoryMb();
        hearth += ",\"tokensPerSecond\":" + num(tokensPerSecond) + ",\"initialLoss\":" + num(r.initialLoss())
                + ",\"finalLoss\":" + num(r.finalLoss()) + ",\"validationLoss\":" + num(r.validationLoss())
                + ",\"peakMemoryMb\":" + num(r.peakMemoryMb()) + ",\"mfu\":" + num(mfu) + "}";
    }

    void pytorch(String resultJson, double tokensPerSecond, double peakMemoryMb, double mfu) {
        torchTps = tokensPerSecond;
        torchMemory = peakMemoryMb;
        // Python's json writes NaN for a missing figure (peak RSS off Linux); JSON has only null.
        String result = resultJson.strip().replaceAll("\\bNaN\\b", "null");
        pytorch = "{\"tokensPerSecond\":" + num(tokensPerSecond) + ",\"peakMemoryMb\":" + num(peakMemoryMb)
                + ",\"mfu\":" + num(mfu) + ",\"result\":" + result + "}";
    }

    void gradientCheck(double hearthLoss, double torchLoss, String worstTensor, double worst) {
        gradient = "{\"hearthInitialLoss\":" + num(hearthLoss) + ",\"pytorchInitialLoss\":" + num(torchLoss)
                + ",\"worstTensor\":" + str(worstTensor) + ",\"maxAbsDiffOverMaxAbs\":" + num(worst) + "}";
    }

    String json() {
        var sb = new StringBuilder("{\"status\":\"ok\",").append(head.substring(1));
        sb.append(",\"hearth\":").append(hearth);
        if (pytorch != null) {
            sb.append(",\"pytorch\":").append(pytorch);
            sb.append(",\"ratio\":{\"speed\":").append(num(hearthTps / torchTps)).append(",\"peakMemory\":")
                    .append(num(hearthMemory / torchMemory)).append('}');
        }
        if (gradient != null) {
            sb.append(",\"gradientCheck\":").append(gradient);
        }
        return sb.append("}\n").toString();
    }

    private static String common(EngineBenchmark.Options o) {
        return String.format(Locale.ROOT, "{\"model\":%s,\"parameters\":%d,\"backend\":%s,\"precision\":%s,"
                        + "\"device\":%d,\"batch\":%d,\"microBatch\":%d,\"context\":%d,\"steps\":%d,\"warmup\":%d,"
                        + "\"peakTflops\":%s", str(o.model().name()), ParameterLayout.gpt(o.model()).size(),
                str(o.backend().name().toLowerCase(Locale.ROOT)), str(o.precision()), o.device(), o.batch(),
                o.microBatch(), o.model().context(), o.steps(), o.warmup(), num(o.peakTflops()));
    }

    static String num(double x) {
        return Double.isFinite(x) ? Double.toString(x) : "null";
    }

    static String str(String s) {
        var sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
