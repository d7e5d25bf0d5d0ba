package dev.hearth.coordinator.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.hearth.coordinator.run.DeadlinePolicy;
import dev.hearth.coordinator.run.LrSchedule;
import dev.hearth.coordinator.run.RunRules;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.MeanStep;
import dev.hearth.engine.demo.OuterRule;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.recipe.RobustAggregation;
import dev.hearth.engine.recipe.RunRecipe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/// Everything a coordinator needs to serve one run, read from `run.toml` (see `coordinator/run.example.toml`,
/// which documents every key). Every key has a default good for the local demo; unknown keys and bad values
/// fail at start with the key named.
///
/// Two parts: the run's {@link RunRecipe} (what defines the training: model, data order, DeMo, the outer step and its
/// inner optimizer, the rate schedule, the robust aggregation; what nodes are sent in `Welcome`), and the
/// coordinator's own settings beside it (the run's name, where its corpus is read from, how uploads are checked and
/// rounds closed, and the server: addresses, ports, TLS, data dir, storage, ledger).
///
/// The recipe's TOML keys: `run.total_rounds`, `run.seed`, `model.name`, `data.sequences_per_node`, `[demo]` and
/// `[optimizer]`. The outer step (`optimizer.outer`, `mean` or `sign`: {@link OuterRule#byName}) gives the defaults of
/// the keys its quality differs by ({@link OuterRule#defaults}: local steps, outer rate, weight decay, windows per
/// node, top-k, the rate schedule).
///
/// @param runId             stable id of the run (in the ledger, checkpoints and every upload)
/// @param name              shown on the dashboard
/// @param recipe            what defines the training (its data identity is {@link RunRecipe.DataIdentity#NOT_READ}
///                          until the coordinator has read `corpus`)
/// @param corpus            `bundled` or a path to a text corpus: where the coordinator reads the run's data from
/// @param spotCheckFraction share of updates spot-checked per round (at least 3 a round when above 0; 0 turns them off)
/// @param normFactor        an update's norm may be at most this × the round's median
/// @param validationEvery   measure the validation loss (and sample text) every this many versions; 0 = never (the
///                          health probe on every candidate version runs regardless: CoordinatorService.PROBE_WINDOWS)
/// @param minNodes          ready nodes needed to open a round
/// @param minUploads        accepted uploads that close a round before its deadline
/// @param deadline          the adaptive deadline's factor, slack and bounds
/// @param checkpointEvery   write a checkpoint every this many committed versions
/// @param bind              address to listen on (loopback unless the run is public)
/// @param port              the node protocol port (TLS)
/// @param httpPort          the dashboard port
/// @param tlsDir            where the TLS key and certificate live (relative paths are under `dataDir`)
/// @param dataDir           ledger, checkpoints and TLS material
/// @param storage           where a public run's data and records live beyond this process (issue 17)
public record RunConfig(String runId, String name, RunRecipe recipe, String corpus, double spotCheckFraction,
                        double normFactor, int validationEvery, int minNodes, int minUploads, DeadlinePolicy deadline,
                        int checkpointEvery, String bind, int port, int httpPort, Path tlsDir, Path dataDir,
                        RunStorage storage) {

    /// Default node protocol port: unassigned by IANA, far from common dev-server ports.
    public static final int DEFAULT_PORT = dev.hearth.protocol.server.ServerConfig.DEFAULT_PORT;
    /// Default dashboard port: the protocol port + 1, so one firewall rule range covers both.
    public static final int DEFAULT_HTTP_PORT = 47_471;
    /// Sequences per node per round: 1024 × 256 tokens is already minutes on a gaming GPU for `small`.
    public static final int MAX_SEQUENCES_PER_NODE = 1024;

    /// Sections and their keys: the whole schema, used to reject typos.
    static final Map<String, List<String>> SCHEMA = schema();

    private static Map<String, List<String>> schema() {
        var s = new LinkedHashMap<String, List<String>>();
        s.put("run", List.of("id", "name", "total_rounds", "seed"));
        s.put("model", List.of("name"));
        s.put("data", List.of("corpus", "sequences_per_node", "shard_tokens"));
        s.put("demo", List.of("beta", "block", "top_k", "encoding"));
        s.put("optimizer", List.of("outer", "local_steps", "outer_lr", "lr_max", "lr_min", "warmup_rounds",
                "weight_decay", "robust"));
        s.put("validation", List.of("spot_check_fraction", "norm_factor", "loss_every_rounds"));
        s.put("quorum", List.of("min_nodes", "min_uploads"));
        s.put("deadline", List.of("safety_factor", "slack_seconds", "min_seconds", "max_seconds"));
        s.put("checkpoint", List.of("every_rounds"));
        s.put("server", List.of("bind", "port", "http_port", "tls_dir", "data_dir"));
        s.put("ledger", List.of("url", "user", "password_env"));
        s.put("storage", List.of("kind", "endpoint", "region", "bucket", "prefix", "access_key_env", "secret_key_env",
                "path_style", "url_expiry_minutes"));
        return s;
    }

    /// A value given on the command line instead of in the file: errors name `flag`, not the TOML key.
    public record Override(String flag, Object value) {
    }

    /// The defaults: the local demo run (nano model, bundled corpus, one node is enough, loopback).
    public static RunConfig defaults() {
        return parse(new TomlMapper().createObjectNode(), "defaults", Map.of());
    }

    /// Reads `file`, applying `overrides` (TOML key path such as `server.port` → value from a CLI flag).
    public static RunConfig load(Path file, Map<String, Override> overrides) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file (copy coordinator/run.example.toml to start one)", e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        return parse(text, file.getFileName().toString(), overrides);
    }

    /// Parses TOML text; `origin` names it in error messages (usually `run.toml`).
    public static RunConfig parse(String toml, String origin, Map<String, Override> overrides) {
        JsonNode tree;
        try {
            tree = new TomlMapper().readTree(toml);
        } catch (JacksonException e) {
            throw new ConfigException(origin + ": not valid TOML: " + e.getOriginalMessage(), e);
        }
        if (tree == null || tree.isMissingNode()) {
            tree = new TomlMapper().createObjectNode();
        }
        return parse(tree, origin, overrides);
    }

    private static RunConfig parse(JsonNode tree, String origin, Map<String, Override> overrides) {
        var r = new Reader(tree, origin, overrides);
        r.checkSchema();
        String runId = r.string("run.id", "local-demo");
        if (!runId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw r.error("run.id", "must be 1-64 letters, digits, '.', '_' or '-' (it names files), got '" + runId + "'");
        }
        String name = r.string("run.name", "Hearth local demo");
        long totalRounds = r.integer("run.total_rounds", 200, 1, 100_000_000);
        long seed = r.integer("run.seed", 1, Long.MIN_VALUE, Long.MAX_VALUE);
        ModelConfig model = ModelConfig.byName(r.choice("model.name", "nano", ModelConfig.NAMES));
        String corpus = r.string("data.corpus", "bundled");
        OuterRule named = OuterRule.byName(r.choice("optimizer.outer", OuterRule.runDefault().name(), OuterRule.names()));
        OuterRule.Defaults d = named.defaults();
        int localSteps = (int) r.integer("optimizer.local_steps", d.localSteps(), 1, MeanStep.MAX_LOCAL_STEPS);
        double outerLr = r.number("optimizer.outer_lr", d.outerLr(), 0, 10);
        int seqs = (int) r.integer("data.sequences_per_node", d.sequencesPerNode(), 1, MAX_SEQUENCES_PER_NODE);
        if (seqs < localSteps) {
            throw r.error("data.sequences_per_node", "must be at least optimizer.local_steps (" + localSteps
                    + "): every inner step needs a window, got " + seqs);
        }
        double beta = r.number("demo.beta", DemoConfig.DEFAULT_BETA, 0, 0.99999);
        int block = (int) r.integer("demo.block", DemoConfig.DEFAULT_BLOCK_SIZE, 2, DemoConfig.MAX_BLOCK_SIZE);
        int topK = (int) r.integer("demo.top_k", d.topK(), 1, Math.min(DemoConfig.MAX_TOP_K, block * block));
        ValueEncoding encoding = ValueEncoding.named(r.choice("demo.encoding", ValueEncoding.SIGN_1BIT.configName(),
                Arrays.stream(ValueEncoding.values()).map(ValueEncoding::configName).toList()));
        double lrMax = r.number("optimizer.lr_max", d.lrMax(), 1e-8, 1);
        double lrMin = r.number("optimizer.lr_min", d.lrMin(), 0, 1);
        if (lrMin > lrMax) {
            throw r.error("optimizer.lr_min", "must not exceed optimizer.lr_max (" + lrMax + "), got " + lrMin);
        }
        int warmup = (int) r.integer("optimizer.warmup_rounds", d.warmupRounds(), 0, 1_000_000);
        double weightDecay = r.number("optimizer.weight_decay", d.weightDecay(), 0, 1);
        RobustAggregation robust = RobustAggregation.named(r.choice("optimizer.robust",
                RobustAggregation.MEAN.configName(),
                Arrays.stream(RobustAggregation.values()).map(RobustAggregation::configName).toList()));
        OuterRule outer;
        try {
            outer = named.withSettings(localSteps, outerLr, weightDecay);
            outer.requireSupported(robust.mode());
        } catch (OuterRule.SettingException e) {
            throw r.error("optimizer." + e.setting(), e.getMessage());
        }
        RunRecipe recipe;
        try {
            recipe = new RunRecipe(model, totalRounds, seed, seqs, new DemoConfig((float) beta, block, topK, encoding),
                    outer, lrMax, lrMin, warmup, robust, RunRecipe.DataIdentity.NOT_READ);
        } catch (IllegalArgumentException e) { // each key was checked above; this is the recipe's own last word
            throw new ConfigException(origin + ": " + e.getMessage(), e);
        }
        double spot = r.number("validation.spot_check_fraction", 0.1, 0, 1);
        double normFactor = r.number("validation.norm_factor", 5.0, 1.0001, 1_000_000);
        int lossEvery = (int) r.integer("validation.loss_every_rounds", 5, 0, 1_000_000);
        int minNodes = (int) r.integer("quorum.min_nodes", 1, 1, 100_000);
        int minUploads = (int) r.integer("quorum.min_uploads", 8, 1, 100_000);
        double safety = r.number("deadline.safety_factor", DeadlinePolicy.DEFAULT_SAFETY_FACTOR, 1, 100);
        long slack = r.integer("deadline.slack_seconds", DeadlinePolicy.DEFAULT_SLACK.toSeconds(), 0, 3600);
        long minS = r.integer("deadline.min_seconds", DeadlinePolicy.DEFAULT_MIN.toSeconds(), 1, 86_400);
        long maxS = r.integer("deadline.max_seconds", DeadlinePolicy.DEFAULT_MAX.toSeconds(), 1, 86_400);
        if (maxS < minS) {
            throw r.error("deadline.max_seconds", "must be >= deadline.min_seconds (" + minS + "), got " + maxS);
        }
        int every = (int) r.integer("checkpoint.every_rounds", 5, 1, 1_000_000);
        String bind = r.string("server.bind", "127.0.0.1");
        if (bind.isBlank()) {
            throw r.error("server.bind", "must be a host name or address, got an empty string");
        }
        int port = (int) r.integer("server.port", DEFAULT_PORT, 0, 65_535);
        int httpPort = (int) r.integer("server.http_port", DEFAULT_HTTP_PORT, 0, 65_535);
        if (port == httpPort && port != 0) {
            throw r.error("server.http_port", "must differ from server.port (" + port + ")");
        }
        Path dataDir = r.path("server.data_dir", "hearth-run");
        Path tlsDir = r.path("server.tls_dir", "tls");
        if (!tlsDir.isAbsolute()) {
            tlsDir = dataDir.resolve(tlsDir);
        }
        int shardTokens = (int) r.integer("data.shard_tokens", RunStorage.DEFAULT_SHARD_TOKENS, RunStorage.MIN_SHARD_TOKENS,
                RunStorage.MAX_SHARD_TOKENS);
        String ledgerUrl = r.string("ledger.url", "");
        if (!ledgerUrl.isEmpty() && !ledgerUrl.startsWith("jdbc:postgresql://")) {
            throw r.error("ledger.url", "must be a PostgreSQL JDBC url, jdbc:postgresql://host:port/database (leave it out"
                    + " for the SQLite ledger in the data dir), got '" + ledgerUrl + "'");
        }
        String ledgerUser = r.string("ledger.user", "");
        String passwordEnv = r.string("ledger.password_env", "");
        if ((!ledgerUser.isEmpty() || !passwordEnv.isEmpty()) && ledgerUrl.isEmpty()) {
            throw r.error(ledgerUser.isEmpty() ? "ledger.password_env" : "ledger.user", "needs ledger.url");
        }
        String kind = r.choice("storage.kind", "local", List.of("local", "s3"));
        String endpoint = r.string("storage.endpoint", "");
        String region = r.string("storage.region", "auto");
        String bucket = r.string("storage.bucket", "");
        String prefix = r.string("storage.prefix", "");
        String accessEnv = r.string("storage.access_key_env", "");
        String secretEnv = r.string("storage.secret_key_env", "");
        boolean pathStyle = r.bool("storage.path_style", false);
        long expiry = r.integer("storage.url_expiry_minutes", ObjectStorage.DEFAULT_URL_EXPIRY.toMinutes(), 1, 7 * 24 * 60);
        ObjectStorage objects = null;
        if (kind.equals("s3")) {
            if (bucket.isEmpty()) throw r.error("storage.bucket", "is needed with kind = \"s3\"");
            if (accessEnv.isEmpty() || secretEnv.isEmpty()) {
                throw r.error(accessEnv.isEmpty() ? "storage.access_key_env" : "storage.secret_key_env",
                        "must name the environment variable holding the key (keys never go in run.toml)");
            }
            if (!endpoint.isEmpty() && !endpoint.startsWith("https://") && !endpoint.startsWith("http://")) {
                throw r.error("storage.endpoint", "must be an http(s):// url, got '" + endpoint + "'");
            }
            objects = new ObjectStorage(endpoint, region, bucket, prefix, accessEnv, secretEnv, pathStyle,
                    Duration.ofMinutes(expiry));
        }
        var storage = new RunStorage(shardTokens, ledgerUrl, ledgerUser, passwordEnv, objects);
        var deadline = new DeadlinePolicy(safety, Duration.ofSeconds(slack), Duration.ofSeconds(minS), Duration.ofSeconds(maxS));
        return new RunConfig(runId, name, recipe, corpus, spot, normFactor, lossEvery, minNodes, minUploads, deadline,
                every, bind, port, httpPort, tlsDir, dataDir, storage);
    }

    /// The state machine's rules for a corpus of `trainWindows` windows.
    public RunRules rules(long trainWindows) {
        return new RunRules(minNodes, minUploads, recipe.sequencesPerNode(), recipe.model().context(),
                recipe.totalRounds(), trainWindows, recipe.dataSeed(), spotCheckFraction, deadline);
    }

    /// The per-round rate: the sign step's (outer `sign`) or the inner AdamW's (outer `mean`), per version.
    public LrSchedule lrSchedule() {
        return new LrSchedule(recipe.lrMax(), recipe.lrMin(), recipe.warmupRounds(), recipe.totalRounds());
    }

    public boolean bundledCorpus() {
        return "bundled".equals(corpus);
    }

    public Path ledgerFile() {
        return dataDir.resolve("ledger.db");
    }

    public Path checkpointDir() {
        return dataDir.resolve("checkpoints");
    }

    /// Walks the TOML tree: typed getters with ranges, CLI overrides first, every error naming its key.
    private static final class Reader {
        private final JsonNode tree;
        private final String origin;
        private final Map<String, Override> overrides;

        Reader(JsonNode tree, String origin, Map<String, Override> overrides) {
            this.tree = tree;
            this.origin = origin;
            this.overrides = overrides;
            for (String key : overrides.keySet()) {
                int dot = key.indexOf('.');
                List<String> keys = dot < 0 ? null : SCHEMA.get(key.substring(0, dot));
                if (keys == null || !keys.contains(key.substring(dot + 1))) {
                    throw new IllegalArgumentException("override of unknown key " + key);
                }
            }
        }

        void checkSchema() {
            if (!tree.isObject()) {
                throw new ConfigException(origin + ": expected tables like [run] and [server]");
            }
            for (Iterator<String> it = tree.fieldNames(); it.hasNext(); ) {
                String section = it.next();
                List<String> keys = SCHEMA.get(section);
                if (keys == null) {
                    throw new ConfigException(origin + ": unknown section '" + section + "' (known: "
                            + String.join(", ", SCHEMA.keySet()) + ")");
                }
                JsonNode table = tree.get(section);
                if (!table.isObject()) {
                    throw new ConfigException(origin + ": '" + section + "' must be a table ([" + section + "])");
                }
                for (Iterator<String> k = table.fieldNames(); k.hasNext(); ) {
                    String key = k.next();
                    if (!keys.contains(key)) {
                        throw new ConfigException(origin + ": unknown key '" + section + "." + key + "' (known in ["
                                + section + "]: " + String.join(", ", keys) + ")");
                    }
                }
            }
        }

        ConfigException error(String key, String problem) {
            Override o = overrides.get(key);
            if (o != null) {
                return new ConfigException(o.flag() + ": " + problem);
            }
            return new ConfigException(origin + ": key '" + key + "' " + problem);
        }

        /// The raw node for `key`, or null when absent. Overrides come back as their own value wrapped.
        private Object raw(String key) {
            Override o = overrides.get(key);
            if (o != null) {
                return o.value();
            }
            int dot = key.indexOf('.');
            JsonNode table = tree.get(key.substring(0, dot));
            if (table == null) {
                return null;
            }
            return table.get(key.substring(dot + 1));
        }

        String string(String key, String fallback) {
            Object v = raw(key);
            if (v == null) {
                return fallback;
            }
            if (v instanceof String s) {
                return s;
            }
            if (v instanceof JsonNode n && n.isTextual()) {
                return n.textValue();
            }
            throw error(key, "must be a string, got " + show(v));
        }

        String choice(String key, String fallback, List<String> allowed) {
            String v = string(key, fallback);
            if (allowed.contains(v)) {
                return v;
            }
            throw error(key, "must be one of " + String.join(", ", allowed) + ", got '" + v + "'");
        }

        boolean bool(String key, boolean fallback) {
            Object v = raw(key);
            if (v == null) {
                return fallback;
            }
            if (v instanceof Boolean b) {
                return b;
            }
            if (v instanceof JsonNode n && n.isBoolean()) {
                return n.booleanValue();
            }
            throw error(key, "must be true or false, got " + show(v));
        }

        long integer(String key, long fallback, long min, long max) {
            Object v = raw(key);
            long value;
            if (v == null) {
                return fallback;
            } else if (v instanceof Number n) {
                value = n.longValue();
            } else if (v instanceof JsonNode n && n.isIntegralNumber() && n.canConvertToLong()) {
                value = n.longValue();
            } else {
                throw error(key, "must be an integer, got " + show(v));
            }
            if (value < min || value > max) {
                throw error(key, "must be between " + min + " and " + max + ", got " + value);
            }
            return value;
        }

        double number(String key, double fallback, double min, double max) {
            Object v = raw(key);
            double value;
            if (v == null) {
                return fallback;
            } else if (v instanceof Number n) {
                value = n.doubleValue();
            } else if (v instanceof JsonNode n && n.isNumber()) {
                value = n.doubleValue();
            } else {
                throw error(key, "must be a number, got " + show(v));
            }
            if (!(value >= min && value <= max)) {
                throw error(key, "must be between " + fmt(min) + " and " + fmt(max) + ", got " + fmt(value));
            }
            return value;
        }

        Path path(String key, String fallback) {
            Object v = raw(key);
            if (v instanceof Path p) {
                return p;
            }
            String s = string(key, fallback);
            if (s.isBlank()) {
                throw error(key, "must be a path, got an empty string");
            }
            try {
                return Path.of(s);
            } catch (java.nio.file.InvalidPathException e) {
                throw error(key, "is not a valid path: " + e.getMessage());
            }
        }

        private static String show(Object v) {
            if (v instanceof JsonNode n) {
                return n.isTextual() ? "\"" + n.textValue() + "\"" : (n.isContainerNode() ? n.getNodeType().name()
                        .toLowerCase(Locale.ROOT) : n.toString());
            }
            return String.valueOf(v);
        }

        private static String fmt(double d) {
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
        }
    }

    /// All keys, `section.key`, for documentation checks.
    static Set<String> allKeys() {
        var out = new TreeSet<String>();
        SCHEMA.forEach((s, keys) -> keys.forEach(k -> out.add(s + "." + k)));
        return out;
    }
}
