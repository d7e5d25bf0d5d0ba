package dev.hearth.desktop.fake;

import dev.hearth.node.api.ContributionHistory;
import dev.hearth.node.api.GpuCheck;
import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.api.HardwareSample.GpuSample;
import dev.hearth.node.api.InvalidSettingException;
import dev.hearth.node.api.LogEntry;
import dev.hearth.node.api.NodeService;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.NodeSnapshot;
import dev.hearth.node.api.NodeState;
import dev.hearth.node.api.RoundRecord;
import dev.hearth.node.api.RunStatus;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/// A scripted node for view-model and UI tests: state changes the way the real node's would after each owner
/// action, and tests push hardware samples, rounds and log lines by hand. Time is an input ({@link #now}).
public final class FakeNodeService implements NodeService {
    /// The real check's words for a usable card (GpuVerdict), including that nothing was measured on one yet.
    public static final GpuCheck RTX_3060 = new GpuCheck("NVIDIA GeForce RTX 3060", 12L << 30, "8.6", "550.54",
            true, "Your NVIDIA GeForce RTX 3060 (12 GiB, compute capability 8.6) can run Hearth's GPU engine. Hearth"
            + " trains on it whenever it has enough free memory for the run's model (otherwise on the CPU, saying"
            + " why). This GPU engine is new and has not yet been measured on a real card.");
    /// The trainer's sentences (BackendSelector's wording) on the GPU and on a machine without one.
    public static final String GPU_BACKEND = "training on NVIDIA GeForce RTX 3060 (compute capability 8.6) at"
            + " micro-batch 8: 11 GiB of 12 GiB free, the model needs 1.4 GiB";
    public static final String CPU_BACKEND = "no NVIDIA driver library (libcuda.so.1) found; training on the CPU"
            + " (2 of 2 cores, matrix multiplies on OpenBLAS 0.3.31)";
    /// VRAM the fake trainer holds on the card while it runs (NVML's per-process figure); 0 once it ended.
    public static final long TRAINER_VRAM_BYTES = 5L << 30;
    public static final GpuCheck NO_GPU = new GpuCheck("no NVIDIA GPU found", 0, "", "", false,
            "Hearth will train on the processor instead; it helps, just more slowly.");

    private record Registered(Listener listener, Executor executor) {}

    private final Path dataDir;
    private final List<Registered> listeners = new CopyOnWriteArrayList<>();
    private final List<RoundRecord> rounds = new ArrayList<>();
    private final List<LogEntry> log = new ArrayList<>();
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private volatile Instant now = Instant.parse("2026-11-20T12:00:00Z");
    private volatile NodeSnapshot snapshot = NodeSnapshot.starting(now);
    private volatile HardwareSample hardware = HardwareSample.empty(now);
    private volatile GpuCheck gpuCheck = RTX_3060;
    private volatile RunStatus runStatus = RunStatus.unknown();
    private volatile NodeSettings settings = NodeSettings.defaults();
    private volatile InvalidSettingException refuseNextUpdate;
    private volatile RuntimeException historyFailure;
    private volatile String runName = "";
    private volatile boolean gpuPresent = true;
    private volatile long round = 0;
    private double lastLoss = Double.NaN;

    public FakeNodeService(Path dataDir) {
        this.dataDir = dataDir;
    }

    // ---- scripting

    public List<String> calls() { return calls; }
    public void now(Instant at) { now = at; }
    public Instant now() { return now; }
    public void gpuCheck(GpuCheck check) { gpuCheck = check; }

    /// No GPU at all: the check says so, samples have no GPUs, the backend is the CPU.
    public void withoutGpu() {
        gpuPresent = false;
        gpuCheck = NO_GPU;
        hardware(false, 0, 0.3, 0.2);
    }
    public void runStatus(RunStatus status) { runStatus = status; }
    public void refuseNextUpdate(InvalidSettingException e) { refuseNextUpdate = e; }
    public void failHistory(RuntimeException e) { historyFailure = e; }

    public void snapshot(NodeSnapshot s) {
        snapshot = s;
        listeners.forEach(r -> r.executor().execute(() -> r.listener().onSnapshot(s)));
    }

    public void hardware(HardwareSample h) { hardware = h; }

    /// A sample at {@link #now}: one GPU (or none), loads as given, Hearth's trainer holding
    /// {@link #TRAINER_VRAM_BYTES} of it.
    public void hardware(boolean gpu, double gpuUtil, double cpu, double hearthCpu) {
        hardware(gpu, gpuUtil, cpu, hearthCpu, TRAINER_VRAM_BYTES);
    }

    /// The same with Hearth's VRAM given: 0 once the trainer ended (paused), -1 where the driver does not tell.
    public void hardware(boolean gpu, double gpuUtil, double cpu, double hearthCpu, long hearthVram) {
        long others = (long) (2.5 * (1L << 30)); // the desktop and other programs
        List<GpuSample> gpus = gpu
                ? List.of(new GpuSample("NVIDIA GeForce RTX 3060", gpuUtil, others + Math.max(0, hearthVram), 12L << 30,
                        50 + 20 * gpuUtil, 40 + 120 * gpuUtil, hearthVram))
                : List.of();
        hardware = new HardwareSample(now, cpu, hearthCpu, 9L << 30, 16L << 30, (long) (1.5 * (1L << 30)), gpus);
    }

    /// Training at `progress` of the current round.
    public void training(double progress, double tokensPerSecond, double loss) {
        lastLoss = loss;
        snapshot(new NodeSnapshot(now, NodeState.TRAINING, "Training round " + round, "", runName, "local run", round,
                progress, tokensPerSecond, loss, backend(), null, snapshot.pauseAfterRound()));
    }

    /// Finishes the current round: records it (accepted unless `rejectReason` is given) and starts the next.
    public RoundRecord finishRound(long tokens, double credits, String rejectReason) {
        RoundRecord r = new RoundRecord(runName.isEmpty() ? "local" : runName, round, now, tokens, 42.0, 38_000, 120_000,
                rejectReason == null, rejectReason == null ? "" : rejectReason, rejectReason == null ? credits : 0, lastLoss,
                new dev.hearth.node.api.RoundEnergy(42.0 * 15, dev.hearth.node.api.EnergySource.ESTIMATE));
        synchronized (this) {
            rounds.add(r);
        }
        listeners.forEach(l -> l.executor().execute(() -> l.listener().onRoundRecorded(r)));
        log(LogEntry.Level.INFO, "session", "Round " + round + (rejectReason == null ? " accepted" : " rejected: " + rejectReason));
        round++;
        NodeSnapshot s = snapshot;
        if (s.pauseAfterRound()) { // as the real node: "finish round, then pause" pauses once the round is recorded
            snapshot(new NodeSnapshot(now, NodeState.PAUSED, "Paused — you paused Hearth", "", s.runName(), s.coordinator(),
                    round, 0, 0, s.localLoss(), s.backend(), null, false).withOwner(true, null));
        } else if (STARTED_REASON.equals(s.reason())) { // the first round is done: the policy decides from now on
            snapshot(new NodeSnapshot(now, s.state(), "Training round " + round, "", s.runName(), s.coordinator(), round, 0,
                    s.tokensPerSecond(), s.localLoss(), s.backend(), null, false));
        }
        return r;
    }

    public void log(LogEntry.Level level, String source, String message) {
        LogEntry e = new LogEntry(now, level, source, message);
        synchronized (this) {
            log.add(e);
        }
        listeners.forEach(l -> l.executor().execute(() -> l.listener().onLog(e)));
    }

    /// For the screenshot harness: a node that trains by itself, a sample a second and a round every 20 s.
    public void simulate(ScheduledExecutorService clock) {
        long[] tick = {0};
        clock.scheduleAtFixedRate(() -> {
            now = Instant.now();
            long t = tick[0]++;
            double wave = 0.5 + 0.5 * Math.sin(t / 6.0);
            boolean active = snapshot.state() == NodeState.TRAINING;
            // Paused, the real node ends its trainer: its VRAM goes back to the card.
            boolean workerRuns = !snapshot.pausedByOwner() && snapshot.state() != NodeState.PAUSED;
            hardware(gpuPresent, active ? 0.85 + 0.1 * wave : 0.05, active ? 0.35 + 0.1 * wave : 0.08, active ? 0.22 : 0.01,
                    workerRuns ? TRAINER_VRAM_BYTES : 0);
            if (active) {
                double progress = (t % 20) / 20.0;
                training(progress, 5200 + 400 * wave, 3.2 * Math.exp(-round / 60.0) + 0.05 * wave);
                if (t % 20 == 19) {
                    finishRound(104_857, 1.0 + wave, t % 140 == 139 ? "arrived after the deadline" : null);
                    List<Double> losses = new ArrayList<>(runStatus.lossHistory());
                    losses.add(3.3 * Math.exp(-round / 60.0));
                    runStatus = new RunStatus("hearth-nano-local", round, 3, List.copyOf(losses), List.of(), 2, 3,
                            rounds.stream().mapToDouble(RoundRecord::credits).sum(),
                            "The hearth was warm and the kettle sang while the old clock ticked in the hall.");
                }
            }
        }, 0, 1, TimeUnit.SECONDS);
    }

    /// History of `n` past rounds, one every `every`, ending now (for charts and the table).
    public synchronized void pastRounds(int n, Duration every) {
        for (int i = n; i > 0; i--) {
            Instant at = now.minus(every.multipliedBy(i));
            rounds.add(new RoundRecord("hearth-nano-local", round++, at, 100_000 + 1000L * (i % 7), 40 + i % 5, 38_000,
                    120_000, i % 9 != 0, i % 9 != 0 ? "" : "arrived after the deadline", i % 9 != 0 ? 1.0 : 0, 3.0 - i * 0.01,
                    new dev.hearth.node.api.RoundEnergy((40 + i % 5) * 15.0, dev.hearth.node.api.EnergySource.ESTIMATE)));
        }
    }

    // ---- NodeService

    @Override public NodeSnapshot snapshot() { return snapshot; }
    /// As the real node: the local run's dashboard on its stable port, none for a public run.
    @Override public String dashboardUrl() { return "local run".equals(snapshot.coordinator()) ? "http://127.0.0.1:7480/" : ""; }
    @Override public HardwareSample hardware() { return hardware; }
    @Override public GpuCheck gpuCheck() { return gpuCheck; }
    @Override public RunStatus runStatus() { return runStatus; }

    @Override
    public void pause() {
        calls.add("pause");
        NodeSnapshot s = snapshot;
        snapshot(new NodeSnapshot(now, NodeState.PAUSED, "Paused", "you paused Hearth", s.runName(), s.coordinator(), s.round(),
                s.roundProgress(), 0, s.localLoss(), s.backend(), null, false).withOwner(true, null));
    }

    @Override
    public void resume() {
        calls.add("resume");
        NodeSnapshot s = snapshot;
        snapshot(new NodeSnapshot(now, NodeState.TRAINING, "Training round " + round, "", s.runName(), s.coordinator(), round,
                s.roundProgress(), s.tokensPerSecond(), s.localLoss(), s.backend(), null, false));
    }

    /// As the real node: trains now and says when it will step aside (the real reason names the idle minutes).
    @Override
    public void startNow() {
        calls.add("startNow");
        NodeSnapshot s = snapshot;
        snapshot(new NodeSnapshot(now, NodeState.TRAINING, "Training round " + round, STARTED_REASON, s.runName(),
                s.coordinator(), round, s.roundProgress(), s.tokensPerSecond(), s.localLoss(), s.backend(), null, false));
    }

    public static final String STARTED_REASON =
            "after this round, Hearth pauses when you use the computer; you can change this in Settings";

    @Override
    public void snooze(Duration duration) {
        calls.add("snooze " + duration);
        NodeSnapshot s = snapshot;
        snapshot(new NodeSnapshot(now, NodeState.PAUSED, "Snoozed", "you asked for a break", s.runName(), s.coordinator(), s.round(),
                s.roundProgress(), 0, s.localLoss(), s.backend(), null, false).withOwner(true, now.plus(duration)));
    }

    @Override
    public void finishRoundThenPause() {
        calls.add("finishRoundThenPause");
        NodeSnapshot s = snapshot;
        snapshot(new NodeSnapshot(now, s.state(), s.headline(), s.reason(), s.runName(), s.coordinator(), s.round(),
                s.roundProgress(), s.tokensPerSecond(), s.localLoss(), s.backend(), s.snoozedUntil(), true));
    }

    @Override
    public void joinRun(String address) {
        if (address == null || !address.startsWith("hearth://") || !address.contains("#sha256=")) {
            throw new IllegalArgumentException("not a hearth:// address: " + address);
        }
        calls.add("joinRun " + address);
        rememberRunAddress(address);
        runName = "public-run";
        connected(address);
    }

    @Override
    public void startLocalRun() {
        calls.add("startLocalRun");
        rememberRunAddress("local");
        runName = "hearth-nano-local";
        connected("local run");
    }

    /// As the real node does: joining saves the address in the settings.
    private void rememberRunAddress(String address) {
        settings = settings.toBuilder().runAddress(address).build();
    }

    private void connected(String coordinator) {
        round = Math.max(round, 1);
        snapshot(new NodeSnapshot(now, NodeState.TRAINING, "Training round " + round, "", runName, coordinator, round, 0.1,
                5000, 3.1, backend(), null, false));
        log(LogEntry.Level.INFO, "session", "Joined " + runName + " at " + coordinator);
    }

    private String backend() {
        return gpuPresent ? GPU_BACKEND : CPU_BACKEND;
    }

    @Override public NodeSettings settings() { return settings; }

    @Override
    public void updateSettings(NodeSettings s) throws InvalidSettingException {
        InvalidSettingException refuse = refuseNextUpdate;
        if (refuse != null) {
            refuseNextUpdate = null;
            throw refuse;
        }
        settings = s.validate();
        calls.add("updateSettings");
    }

    @Override
    public ContributionHistory history() {
        RuntimeException failure = historyFailure;
        if (failure != null) throw failure;
        return new FakeHistory();
    }

    @Override public synchronized List<LogEntry> recentLog() { return List.copyOf(log); }

    @Override
    public void addListener(Listener listener, Executor executor) {
        listeners.add(new Registered(listener, executor));
    }

    @Override public Path dataDir() { return dataDir; }

    @Override
    public void close() {
        calls.add("close");
        snapshot(new NodeSnapshot(now, NodeState.STOPPED, "Stopped", "", runName, "", round, 0, 0, Double.NaN, "", null, false));
    }

    /// The history over this fake's rounds, computed the way the SQLite one would.
    private final class FakeHistory implements ContributionHistory {
        private List<RoundRecord> all() {
            synchronized (FakeNodeService.this) {
                return List.copyOf(rounds);
            }
        }

        @Override
        public Totals totals() {
            List<RoundRecord> all = all();
            return new Totals(all.stream().mapToLong(RoundRecord::tokens).sum(),
                    all.stream().mapToDouble(RoundRecord::computeSeconds).sum(),
                    (int) all.stream().filter(RoundRecord::accepted).count(),
                    (int) all.stream().filter(r -> !r.accepted()).count(),
                    all.stream().mapToDouble(RoundRecord::credits).sum(),
                    all.stream().mapToLong(RoundRecord::bytesUp).sum(),
                    all.stream().mapToLong(RoundRecord::bytesDown).sum(), joules(all), estimated(all));
        }

        @Override
        public List<DailyTotal> perDay(int days, ZoneId zone) {
            LocalDate today = LocalDate.ofInstant(now, zone);
            List<DailyTotal> out = new ArrayList<>();
            for (int i = days - 1; i >= 0; i--) out.add(total(today.minusDays(i), today.minusDays(i - 1), zone));
            return out;
        }

        @Override
        public List<DailyTotal> perWeek(int weeks, ZoneId zone) {
            LocalDate monday = LocalDate.ofInstant(now, zone).with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
            List<DailyTotal> out = new ArrayList<>();
            for (int i = weeks - 1; i >= 0; i--) out.add(total(monday.minusWeeks(i), monday.minusWeeks(i - 1), zone));
            return out;
        }

        private DailyTotal total(LocalDate from, LocalDate to, ZoneId zone) {
            List<RoundRecord> in = all().stream().filter(r -> {
                LocalDate d = LocalDate.ofInstant(r.finishedAt(), zone);
                return !d.isBefore(from) && d.isBefore(to);
            }).toList();
            return new DailyTotal(from, in.stream().mapToLong(RoundRecord::tokens).sum(),
                    in.stream().mapToDouble(RoundRecord::computeSeconds).sum(),
                    in.stream().mapToDouble(RoundRecord::credits).sum(), in.size(), joules(in), estimated(in));
        }

        private static double joules(List<RoundRecord> rs) {
            return rs.stream().filter(r -> r.energy() != null).mapToDouble(r -> r.energy().joules()).sum();
        }

        private static boolean estimated(List<RoundRecord> rs) {
            return rs.stream().anyMatch(r -> r.energy() != null && r.energy().source() == dev.hearth.node.api.EnergySource.ESTIMATE);
        }

        @Override
        public List<RoundRecord> rounds(int limit, int offset) {
            List<RoundRecord> newestFirst = new ArrayList<>(all());
            java.util.Collections.reverse(newestFirst);
            return newestFirst.stream().skip(offset).limit(limit).toList();
        }

        @Override
        public List<SessionRecord> sessions(int limit) {
            return List.of(new SessionRecord(1, now.minus(1, ChronoUnit.HOURS), null, ""));
        }

        @Override
        public void exportCsv(Writer out) throws IOException {
            out.write("run,round,finished_at,tokens,compute_seconds,bytes_up,bytes_down,accepted,reject_reason,credits,local_loss\n");
            for (RoundRecord r : all()) {
                out.write(String.format(Locale.ROOT, "%s,%d,%s,%d,%.1f,%d,%d,%b,%s,%.3f,%.4f%n", r.run(), r.round(), r.finishedAt(),
                        r.tokens(), r.computeSeconds(), r.bytesUp(), r.bytesDown(), r.accepted(), r.rejectReason(), r.credits(), r.localLoss()));
            }
        }
    }
}
