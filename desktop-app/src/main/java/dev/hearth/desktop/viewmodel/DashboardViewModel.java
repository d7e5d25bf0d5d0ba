package dev.hearth.desktop.viewmodel;

import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.api.HardwareSample.GpuSample;
import dev.hearth.node.api.NodeService;
import dev.hearth.node.api.NodeSnapshot;
import dev.hearth.node.api.NodeState;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/// The dashboard: the node's state in one line, the owner's buttons, and the live load of the machine.
///
/// {@link #sample()} is called by the view's timeline (4 Hz); it reads the node's latest-value snapshot and
/// hardware sample, both cheap, and touches the properties only when something changed.
public final class DashboardViewModel {
    /// The snooze button's length: long enough for a game session's start, short enough not to be forgotten.
    public static final Duration SNOOZE = Duration.ofHours(1);
    /// Hardware samples kept for the charts: the node samples about once a second, so about two minutes.
    public static final int CHART_POINTS = 120;

    private final NodeService node;
    private final ZoneId zone;
    private final int machineCores;

    private final ReadOnlyObjectWrapper<NodeState> state = new ReadOnlyObjectWrapper<>(NodeState.STARTING);
    private final ReadOnlyStringWrapper stateLine = new ReadOnlyStringWrapper("Starting");
    private final ReadOnlyStringWrapper detailLine = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper tokensPerSecond = new ReadOnlyStringWrapper("—");
    private final ReadOnlyStringWrapper localLoss = new ReadOnlyStringWrapper("—");
    private final ReadOnlyStringWrapper roundText = new ReadOnlyStringWrapper("—");
    private final ReadOnlyDoubleWrapper roundProgress = new ReadOnlyDoubleWrapper(0);
    private final ReadOnlyStringWrapper backend = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper cpuLimit = new ReadOnlyStringWrapper("");
    private final ReadOnlyBooleanWrapper paused = new ReadOnlyBooleanWrapper(false);
    private final ReadOnlyBooleanWrapper pauseAfterRound = new ReadOnlyBooleanWrapper(false);
    private final ReadOnlyBooleanWrapper gpuVisible = new ReadOnlyBooleanWrapper(false);
    private final ReadOnlyStringWrapper gpuName = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper gpuReadings = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper gpuHearth = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper noGpuReason = new ReadOnlyStringWrapper(NO_GPU_YET);
    private final ReadOnlyObjectWrapper<HardwareSample> latestHardware = new ReadOnlyObjectWrapper<>();
    private final ObservableList<HardwareSample> hardwareHistory = FXCollections.observableArrayList();
    private final ObservableList<HardwareSample> hardwareHistoryView = FXCollections.unmodifiableObservableList(hardwareHistory);

    private NodeSnapshot lastSnapshot;
    // The card the GPU panel and charts show (an index into the latest sample's GPUs), and the VRAM Hearth's trainer
    // held on it the last time it held any: what a pause gave back.
    private int shownGpu = 0;
    private long vramBeforePause = -1;
    // For the round's ETA: which round is training and when this view model first saw it train.
    private long etaRound = -1;
    private java.time.Instant etaStart;

    public DashboardViewModel(NodeService node, ZoneId zone) {
        this(node, zone, Runtime.getRuntime().availableProcessors());
    }

    /// @param machineCores the cores this computer has (the app and its node run on the same one)
    public DashboardViewModel(NodeService node, ZoneId zone, int machineCores) {
        this.node = Objects.requireNonNull(node, "node");
        this.zone = zone;
        this.machineCores = machineCores;
    }

    /// Reads the node's latest state and hardware sample (called ≤ 4 times a second on the UI thread).
    public void sample() {
        NodeSnapshot s = node.snapshot();
        if (s != null && !s.equals(lastSnapshot)) {
            lastSnapshot = s;
            apply(s);
        }
        HardwareSample h = node.hardware();
        // HardwareSample.empty (no memory total) means "not measured yet", not "zero load": it is not plotted.
        boolean measured = h != null && h.memoryTotalBytes() > 0;
        if (measured && (latestHardware.get() == null || !h.at().equals(latestHardware.get().at()))) {
            latestHardware.set(h);
            if (hardwareHistory.size() >= CHART_POINTS) hardwareHistory.remove(0, hardwareHistory.size() - CHART_POINTS + 1);
            hardwareHistory.add(h);
            gpuVisible.set(!h.gpus().isEmpty());
            shownGpu = HardwareMetric.shownGpu(h, node.settings().gpuIndex());
            var gpu = HardwareMetric.gpu(h, shownGpu);
            gpuName.set(gpu == null ? "No GPU visible — Hearth trains on the CPU" : gpu.name());
        }
        describeGpu();
        // the owner's limit as `hearth status` says it; the settings are a field read, and the string equal most ticks
        cpuLimit.set("CPU limit: " + node.settings().cpuLimitText(machineCores));
    }

    /// Shown in the no-GPU cell until the trainer has said where it trains.
    public static final String NO_GPU_YET = "No GPU visible. Hearth trains on the processor; the GPU charts appear"
            + " when a GPU is found.";

    /// The GPU panel's words: the card's readings now, what Hearth does on it (its tokens/s, its VRAM, and what a
    /// pause gave back), and without a card why not, in the trainer's own sentence (the backend description).
    private void describeGpu() {
        HardwareSample h = latestHardware.get();
        NodeSnapshot s = lastSnapshot;
        String backendWords = s == null || s.backend() == null ? "" : s.backend().strip();
        noGpuReason.set(backendWords.isEmpty() ? NO_GPU_YET : "No GPU visible: " + backendWords + ".");
        GpuSample g = h == null ? null : HardwareMetric.gpu(h, shownGpu);
        if (g == null) {
            gpuReadings.set("");
            gpuHearth.set("");
            return;
        }
        gpuReadings.set(readings(g));
        gpuHearth.set(hearthOnGpu(g, s, backendWords));
    }

    /// "87 % busy · 7.5 GiB of 12 GiB VRAM in use · 67 °C · 144 W", leaving out what the driver does not tell.
    static String readings(GpuSample g) {
        List<String> parts = new ArrayList<>();
        if (!Double.isNaN(g.utilization())) parts.add(Formats.percent(g.utilization()) + " busy");
        if (g.vramUsedBytes() >= 0 && g.vramTotalBytes() > 0) {
            parts.add(Formats.bytes(g.vramUsedBytes()) + " of " + Formats.bytes(g.vramTotalBytes()) + " VRAM in use");
        } else if (g.vramTotalBytes() > 0) {
            parts.add(Formats.bytes(g.vramTotalBytes()) + " VRAM");
        }
        if (!Double.isNaN(g.temperatureC())) parts.add(Formats.decimal(g.temperatureC(), 0) + " °C");
        if (!Double.isNaN(g.powerWatts())) parts.add(Formats.decimal(g.powerWatts(), 0) + " W");
        return String.join(" · ", parts);
    }

    /// What Hearth does on this card. The trainer is on it when its worker holds VRAM there (NVML's per-process
    /// figure); where the driver does not tell that (Windows), when the backend description names the card — the
    /// trainer's sentence starts "training on <card name> (compute capability …" only on the GPU.
    private String hearthOnGpu(GpuSample g, NodeSnapshot s, String backendWords) {
        long vram = g.hearthVramBytes();
        boolean ownerPaused = s != null && (s.pausedByOwner() || s.state() == NodeState.PAUSED
                || s.state() == NodeState.STOPPED);
        if (vram > 0) vramBeforePause = vram;
        boolean onThisGpu = vram > 0 || (vram < 0 && backendWords.startsWith("training on " + g.name() + " ("));
        if (ownerPaused) {
            if (vram > 0) return "Pausing: Hearth's trainer still holds " + Formats.bytes(vram) + " of VRAM while it saves and ends";
            if (vram == 0 && vramBeforePause > 0) {
                return "Paused: Hearth's trainer ended and gave back its VRAM — " + Formats.bytes(vramBeforePause)
                        + " before the pause, " + Formats.bytes(0) + " now";
            }
            return vram == 0 ? "Paused: Hearth holds no VRAM on this GPU" : "Paused: Hearth's trainer has ended";
        }
        if (onThisGpu) {
            String tps = s != null && s.tokensPerSecond() > 0 ? Formats.decimal(s.tokensPerSecond(), 0) + " tokens/s" : "starting";
            return "Hearth trains on this GPU: " + tps + (vram > 0 ? ", holding " + Formats.bytes(vram) + " of its VRAM" : "");
        }
        if (backendWords.isEmpty()) return "";
        return "Hearth does not train on this GPU: " + backendWords;
    }

    /// Applies a new snapshot; `paused` ends up true when the owner stopped contributing (here, from the tray or
    /// with `hearth pause`: the node says so in the snapshot), or the node stopped or failed. A pause by the idle
    /// policy ("you are using the computer") is not one: there the big button offers Pause, since Resume would
    /// change nothing.
    private void apply(NodeSnapshot s) {
        state.set(s.state());
        stateLine.set(stateLine(s));
        paused.set(s.pausedByOwner() || s.state() == NodeState.STOPPED || s.state() == NodeState.ERROR);
        pauseAfterRound.set(s.pauseAfterRound());
        boolean training = s.state() == NodeState.TRAINING || s.state() == NodeState.UPLOADING;
        tokensPerSecond.set(training || s.tokensPerSecond() > 0 ? Formats.decimal(s.tokensPerSecond(), 0) : "—");
        localLoss.set(Formats.decimal(s.localLoss(), 3));
        roundText.set(roundText(s) + eta(s));
        roundProgress.set(Double.isNaN(s.roundProgress()) ? 0 : Math.clamp(s.roundProgress(), 0, 1));
        backend.set(s.backend());
        detailLine.set(detailLine(s));
    }

    /// "Round 5 · 40 %" while training, "Round 5 · uploading", and "Round 5" after it (never "0 %" for a round
    /// that was already sent: the node reports progress 0 once it waits for the next round).
    static String roundText(NodeSnapshot s) {
        if (s.round() <= 0) return "—";
        return switch (s.state()) {
            case TRAINING -> "Round " + s.round() + " · " + Formats.percent(s.roundProgress());
            case UPLOADING -> "Round " + s.round() + " · uploading";
            default -> "Round " + s.round();
        };
    }

    /// " · about 12 s left" while training, from the progress so far (BOINC and F@H show one); "" until 5 % is done.
    private String eta(NodeSnapshot s) {
        if (s.state() != NodeState.TRAINING || s.at() == null) return "";
        if (s.round() != etaRound) {
            etaRound = s.round();
            etaStart = s.at();
            return "";
        }
        double p = s.roundProgress();
        Duration elapsed = Duration.between(etaStart, s.at());
        if (!(p >= 0.05) || p >= 1 || elapsed.isNegative() || elapsed.isZero()) return "";
        Duration left = Duration.ofMillis((long) (elapsed.toMillis() * (1 - p) / p));
        return " · about " + dev.hearth.node.api.Durations.words(left.plusMillis(500)) + " left";
    }

    /// The one line a person reads: the headline, plus the reason when the headline does not already say it.
    static String stateLine(NodeSnapshot s) {
        String headline = s.headline() == null || s.headline().isBlank() ? defaultHeadline(s.state()) : s.headline();
        String reason = s.reason() == null ? "" : s.reason().strip();
        String line = reason.isEmpty() || headline.contains(reason) ? headline : headline + " — " + reason;
        // "Finish round, then pause" pressed: say so where the person looks, until it has paused.
        return s.pauseAfterRound() && !s.pausedByOwner() ? line + " — finishing this round, then pausing" : line;
    }

    private static String defaultHeadline(NodeState state) {
        return switch (state) {
            case STARTING -> "Starting";
            case CONNECTING -> "Connecting to the run";
            case DOWNLOADING -> "Downloading the model";
            case WAITING_FOR_ROUND -> "Waiting for the round to open";
            case TRAINING -> "Training";
            case UPLOADING -> "Uploading";
            case PAUSED -> "Paused";
            case ERROR -> "Stopped by a problem";
            case STOPPED -> "Stopped";
        };
    }

    private String detailLine(NodeSnapshot s) {
        StringBuilder b = new StringBuilder();
        if (s.runName() != null && !s.runName().isBlank()) b.append("Run ").append(s.runName());
        if (s.coordinator() != null && !s.coordinator().isBlank()) {
            if (!b.isEmpty()) b.append(" · ");
            b.append(s.coordinator());
        }
        if (s.snoozedUntil() != null) {
            if (!b.isEmpty()) b.append(" · ");
            b.append("snoozed until ").append(Formats.clock(s.snoozedUntil(), zone));
        }
        if (s.pauseAfterRound()) {
            if (!b.isEmpty()) b.append(" · ");
            b.append("will pause after this round");
        }
        return b.toString();
    }

    public void pause() {
        node.pause();
        sample();
    }

    public void resume() {
        node.resume();
        sample();
    }

    public void snooze() {
        node.snooze(SNOOZE);
        sample();
    }

    public void finishRoundThenPause() {
        node.finishRoundThenPause();
        sample();
    }

    public ReadOnlyObjectProperty<NodeState> stateProperty() { return state.getReadOnlyProperty(); }
    public ReadOnlyStringProperty stateLineProperty() { return stateLine.getReadOnlyProperty(); }
    public ReadOnlyStringProperty detailLineProperty() { return detailLine.getReadOnlyProperty(); }
    public ReadOnlyStringProperty tokensPerSecondProperty() { return tokensPerSecond.getReadOnlyProperty(); }
    public ReadOnlyStringProperty localLossProperty() { return localLoss.getReadOnlyProperty(); }
    public ReadOnlyStringProperty roundTextProperty() { return roundText.getReadOnlyProperty(); }
    public ReadOnlyDoubleProperty roundProgressProperty() { return roundProgress.getReadOnlyProperty(); }
    public ReadOnlyStringProperty backendProperty() { return backend.getReadOnlyProperty(); }
    /// "CPU limit: 50 % of 2 cores": what the owner allows the CPU trainer (Settings → Processor).
    public ReadOnlyStringProperty cpuLimitProperty() { return cpuLimit.getReadOnlyProperty(); }
    public ReadOnlyBooleanProperty pausedProperty() { return paused.getReadOnlyProperty(); }
    public ReadOnlyBooleanProperty pauseAfterRoundProperty() { return pauseAfterRound.getReadOnlyProperty(); }
    public ReadOnlyBooleanProperty gpuVisibleProperty() { return gpuVisible.getReadOnlyProperty(); }
    public ReadOnlyStringProperty gpuNameProperty() { return gpuName.getReadOnlyProperty(); }
    /// The shown card's readings now ("87 % busy · 7.5 GiB of 12 GiB VRAM in use · 67 °C · 144 W"); "" without one.
    public ReadOnlyStringProperty gpuReadingsProperty() { return gpuReadings.getReadOnlyProperty(); }
    /// What Hearth does on the shown card: its tokens/s and VRAM, what a pause gave back, or why it trains elsewhere.
    public ReadOnlyStringProperty gpuHearthProperty() { return gpuHearth.getReadOnlyProperty(); }
    /// Without a GPU: why, in the trainer's words.
    public ReadOnlyStringProperty noGpuReasonProperty() { return noGpuReason.getReadOnlyProperty(); }
    public ReadOnlyObjectProperty<HardwareSample> latestHardwareProperty() { return latestHardware.getReadOnlyProperty(); }
    /// Oldest first, at most {@link #CHART_POINTS}.
    public ObservableList<HardwareSample> hardwareHistory() { return hardwareHistoryView; }
    /// The card the charts plot: an index into each sample's GPUs ([HardwareMetric#shownGpu]).
    public int gpuIndex() { return shownGpu; }
}
