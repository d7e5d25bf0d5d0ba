package dev.hearth.coordinator.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/// The command line of `./hearth coordinator`. {@link #parse} only reads the arguments; {@link #resolve()}
/// turns them into a {@link RunConfig} (file, then flags on top).
///
/// @param config  `--config FILE`, or null
/// @param demo    `--demo`: the built-in demo run (nano model, bundled corpus)
/// @param help    `--help`: print {@link #HELP} and exit
/// @param overrides TOML key → value from `--data-dir`, `--port`, `--http-port`, `--bind`, `--rounds`
public record CoordinatorOptions(Path config, boolean demo, boolean help, Map<String, RunConfig.Override> overrides) {

    public CoordinatorOptions {
        overrides = Map.copyOf(overrides);
    }

    public static final String HELP = """
            Usage: hearth coordinator [--config FILE | --demo] [options]

            Serves one training run: assigns batches to nodes each round, validates and
            aggregates their compressed updates, keeps checkpoints and a ledger of who
            contributed what, and shows a live dashboard.

              --config FILE     Read the run from FILE (TOML; see run.example.toml, which
                                documents every key). Unknown keys and bad values stop the
                                start with the key named.
              --demo            Serve the built-in demo run: the nano model on the bundled
                                corpus, on loopback, with defaults for everything. With
                                --config, the file wins and --demo is ignored.
              --data-dir DIR    Where the ledger (ledger.db), checkpoints and TLS keys live.
                                Overrides [server] data_dir. Default: ./hearth-run
              --port PORT       Port nodes connect to (TLS). Overrides [server] port.
                                Default: 47470. 0 picks a free port.
              --http-port PORT  Port of the read-only dashboard (HTTP). Overrides
                                [server] http_port. Default: 47471. 0 picks a free port.
              --bind HOST       Address to listen on. Overrides [server] bind. Default:
                                127.0.0.1 (this machine only); use 0.0.0.0 to serve a
                                public run, and put the dashboard behind a proxy.
              --rounds N        Finish after N committed rounds. Overrides [run]
                                total_rounds.
              --help            Show this text and exit.

            A coordinator restarted with the same data dir resumes from its last
            checkpoint; nodes reconnect on their own.
            """;

    /// Exit code for a bad command line or config (EX_USAGE-like; 1 is left for runtime failures).
    public static final int EXIT_USAGE = 2;

    /// What `main` should do: serve `config`, or print `message` (to stdout when `exitCode` is 0, else to
    /// stderr) and exit with `exitCode`.
    public record Startup(RunConfig config, int exitCode, String message) {
        public boolean serve() {
            return config != null;
        }
    }

    /// The whole front of `./hearth coordinator`: help, parse, resolve, with errors turned into a message and
    /// an exit code instead of a stack trace.
    public static Startup startup(List<String> args) {
        try {
            CoordinatorOptions opts = parse(args);
            if (opts.help()) {
                return new Startup(null, 0, HELP);
            }
            return new Startup(opts.resolve(), 0, "");
        } catch (ConfigException e) {
            return new Startup(null, EXIT_USAGE, "hearth coordinator: " + e.getMessage());
        }
    }

    /// Reads `args`; `--name value` and `--name=value` are both accepted.
    ///
    /// @throws ConfigException naming the unknown option or the missing/bad value
    public static CoordinatorOptions parse(List<String> args) {
        Path config = null;
        boolean demo = false;
        boolean help = false;
        var overrides = new LinkedHashMap<String, RunConfig.Override>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String name = arg;
            String inline = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                inline = arg.substring(eq + 1);
            }
            switch (name) {
                case "--help", "-h" -> help = true;
                case "--demo" -> demo = true;
                case "--config" -> config = Path.of(value(args, i, name, inline));
                case "--data-dir" -> overrides.put("server.data_dir", new RunConfig.Override(name, Path.of(value(args, i, name, inline))));
                case "--bind" -> overrides.put("server.bind", new RunConfig.Override(name, value(args, i, name, inline)));
                case "--port" -> overrides.put("server.port", new RunConfig.Override(name, integer(value(args, i, name, inline), name)));
                case "--http-port" -> overrides.put("server.http_port", new RunConfig.Override(name, integer(value(args, i, name, inline), name)));
                case "--rounds" -> overrides.put("run.total_rounds", new RunConfig.Override(name, integer(value(args, i, name, inline), name)));
                default -> throw new ConfigException("unknown option '" + arg + "' (see hearth coordinator --help)");
            }
            if (inline == null && takesValue(name)) {
                i++;
            }
        }
        return new CoordinatorOptions(config, demo, help, overrides);
    }

    private static boolean takesValue(String name) {
        return switch (name) {
            case "--config", "--data-dir", "--bind", "--port", "--http-port", "--rounds" -> true;
            default -> false;
        };
    }

    private static String value(List<String> args, int i, String name, String inline) {
        if (inline != null) {
            if (inline.isEmpty()) {
                throw new ConfigException(name + " needs a value");
            }
            return inline;
        }
        if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
            throw new ConfigException(name + " needs a value (see hearth coordinator --help)");
        }
        return args.get(i + 1);
    }

    private static long integer(String text, String name) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new ConfigException(name + ": must be an integer, got '" + text + "'");
        }
    }

    /// The run this command line describes: `--config` file (or the demo defaults), then the flags on top.
    ///
    /// @throws ConfigException if neither `--config` nor `--demo` was given, or a value is bad
    public RunConfig resolve() {
        if (config != null) {
            return RunConfig.load(config, overrides);
        }
        if (!demo) {
            throw new ConfigException("give --config run.toml to serve a run, or --demo for the built-in demo"
                    + " (see hearth coordinator --help)");
        }
        return RunConfig.parse("", "defaults", overrides);
    }
}
