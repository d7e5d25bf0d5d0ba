package dev.hearth.coordinator.bench;

import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/// `./hearth bench <name> [options]`: runs one of Hearth's benchmarks. Each prints what it measured, on which
/// machine, and how to reproduce it; docs/benchmarks.md and docs/reliability.md keep the published figures.
public final class BenchMain {

    private record Bench(String mainClass, String what) {}

    private static final Map<String, Bench> BENCHES = new LinkedHashMap<>();

    static {
        BENCHES.put("engine", new Bench("dev.hearth.engine.bench.EngineBenchmark",
                "GPT training speed, memory and loss: Hearth's engine vs the PyTorch reference (needs python3-torch)"));
        BENCHES.put("codec", new Bench("dev.hearth.engine.demo.bench.CodecBenchmark",
                "DeMo compress+encode, decode and aggregation time per 10M parameters"));
        BENCHES.put("quality", new Bench("dev.hearth.coordinator.bench.QualityBench",
                "validation loss of a volunteer run vs dense AdamW, against compression (--quick: < 20 min)"));
        BENCHES.put("coordinator", new Bench("dev.hearth.coordinator.bench.CoordinatorBench",
                "how many nodes one coordinator holds; aggregation + commit time for 10M parameters"));
        BENCHES.put("reliability", new Bench("dev.hearth.coordinator.bench.ReliabilityBench",
                "faults, hostile input and Byzantine nodes (each attack, mean and sign step): the quick suite"));
    }

    private BenchMain() {}

    public static void main(String[] args) throws Throwable {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            usage();
            return;
        }
        Bench bench = BENCHES.get(args[0]);
        if (bench == null) {
            System.err.println("hearth bench: unknown benchmark '" + args[0] + "'");
            usage();
            System.exit(2);
            return;
        }
        Class<?> main;
        try {
            main = Class.forName(bench.mainClass());
        } catch (ClassNotFoundException e) {
            System.err.println("hearth bench: '" + args[0] + "' is not part of this build (" + bench.mainClass() + ")");
            System.exit(2);
            return;
        }
        try {
            main.getMethod("main", String[].class).invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void usage() {
        System.out.println("Usage: ./hearth bench <name> [options]   (./hearth bench <name> --help for its options)");
        System.out.println();
        BENCHES.forEach((name, b) -> System.out.printf("  %-12s %s%n", name, b.what()));
    }
}
