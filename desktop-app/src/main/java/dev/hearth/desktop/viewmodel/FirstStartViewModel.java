package dev.hearth.desktop.viewmodel;

import dev.hearth.desktop.os.AppMarkers;
import dev.hearth.node.api.GpuCheck;
import dev.hearth.node.api.InvalidSettingException;
import dev.hearth.node.api.NodeService;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.NodeSettings.Policy;
import dev.hearth.node.api.NodeSettings.ScheduleWindow;
import java.time.DayOfWeek;
import java.time.LocalTime;
import java.util.List;
import java.util.Objects;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;

/// The first start: what Hearth does, which run to join, whether this GPU can help, and when to contribute.
public final class FirstStartViewModel {
    /// What Hearth does, in three sentences.
    public static final String INTRO = "Hearth lends your graphics card to a public effort that trains an open language model. "
            + "While you are away from the computer it trains small pieces of the model and sends back a compressed update. "
            + "The moment you need your computer again it steps aside, and you can pause it at any time.";

    /// What runs on this computer and what leaves it — the question careful owners and companies ask first.
    public static final String WHAT_RUNS = "Hearth runs only its own code, the code you installed. A run sends this "
            + "computer data, never programs: model weights, the updates other computers made, and text to train on. "
            + "What leaves this computer: compressed updates of the model (tens of KiB a round), this computer's Hearth "
            + "public key, your graphics card's name and memory, Hearth's version and how fast it trains. Nothing from "
            + "your files, and no account or personal data.";

    /// The schedule a first start offers when the owner picks "on a schedule": nights, every day.
    public static final ScheduleWindow DEFAULT_WINDOW =
            new ScheduleWindow(List.of(DayOfWeek.values()), LocalTime.of(22, 0), LocalTime.of(7, 0));

    private final NodeService node;
    private final BackgroundTasks tasks;
    private final AppMarkers markers;

    private final BooleanProperty joinByAddress = new SimpleBooleanProperty(false);
    private final StringProperty address = new SimpleStringProperty("");
    private final ReadOnlyStringWrapper addressError = new ReadOnlyStringWrapper("");
    private final ObjectProperty<Policy> policy = new SimpleObjectProperty<>(Policy.WHEN_IDLE);
    private final ReadOnlyObjectWrapper<GpuCheck> gpuCheck = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyStringWrapper gpuText = new ReadOnlyStringWrapper("Checking your graphics card…");
    private final ReadOnlyBooleanWrapper busy = new ReadOnlyBooleanWrapper(false);
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper afterStart = new ReadOnlyStringWrapper(afterStart(Policy.WHEN_IDLE));

    private final String elevatedWarning;

    public FirstStartViewModel(NodeService node, BackgroundTasks tasks, AppMarkers markers) {
        this(node, tasks, markers, dev.hearth.node.api.Privileges.elevatedWarning().orElse(""));
    }

    /// @param elevatedWarning what to say when Hearth runs as root/Administrator, or "" (tests pass their own)
    public FirstStartViewModel(NodeService node, BackgroundTasks tasks, AppMarkers markers, String elevatedWarning) {
        this.elevatedWarning = Objects.requireNonNull(elevatedWarning, "elevatedWarning");
        this.node = Objects.requireNonNull(node, "node");
        this.tasks = Objects.requireNonNull(tasks, "tasks");
        this.markers = Objects.requireNonNull(markers, "markers");
        address.addListener((o, a, b) -> { if (!addressError.get().isEmpty()) validateAddress(); });
        joinByAddress.addListener((o, a, b) -> { if (!b) addressError.set(""); });
        policy.addListener((o, a, b) -> afterStart.set(afterStart(b)));
    }

    /// What happens on "Start contributing" under `p`, said before the click.
    static String afterStart(Policy p) {
        String then = switch (p) {
            case WHEN_IDLE -> "pauses the moment you use the computer, and trains again after "
                    + NodeSettings.defaults().idleMinutes() + " minutes away";
            case ALWAYS -> "keeps training while you use the computer (slower for you: pick this for a spare machine)";
            case SCHEDULE -> "trains only inside your schedule, and pauses the moment you use the computer";
        };
        return "Hearth starts training at once: a first round finishes in about a minute. After it, Hearth "
                + then + ". You can change this in Settings.";
    }

    /// Asks the node about the GPU in the background (probing a driver may take a moment).
    public void checkGpu() {
        tasks.run(node::gpuCheck, check -> {
            gpuCheck.set(check);
            gpuText.set(describe(check));
        }, failure -> gpuText.set("Could not check the graphics card (" + BackgroundTasks.describe(failure)
                + "). Hearth will train on the processor instead."));
    }

    /// The GPU check in plain words: model, memory, compute capability, driver, and the node's verdict.
    static String describe(GpuCheck c) {
        boolean noCard = c.vramBytes() == 0 && c.computeCapability().isBlank() && c.driver().isBlank()
                && c.verdict().toLowerCase(java.util.Locale.ROOT).startsWith(c.model().toLowerCase(java.util.Locale.ROOT));
        if (noCard) {
            // "no NVIDIA GPU found": the verdict already says it, with what happens instead
            return (c.usable() ? "✔ " : "✘ ") + c.verdict();
        }
        StringBuilder b = new StringBuilder(c.model());
        if (c.vramBytes() > 0) b.append(" with ").append(Formats.bytes(c.vramBytes())).append(" of video memory");
        if (!c.computeCapability().isBlank()) b.append(", compute capability ").append(c.computeCapability());
        if (!c.driver().isBlank()) b.append(", driver ").append(c.driver());
        b.append(". ");
        b.append(c.usable() ? "✔ " : "✘ ").append(c.verdict());
        return b.toString();
    }

    /// Checks the typed address; @return true when it can be used (or the local run is chosen)
    public boolean validateAddress() {
        if (!joinByAddress.get()) {
            addressError.set("");
            return true;
        }
        String problem = RunAddress.problem(address.get()).orElse("");
        addressError.set(problem);
        return problem.isEmpty();
    }

    /// Joins the chosen run and saves the policy, in the background; `onDone` runs on the UI thread after success.
    public void start(Runnable onDone) {
        if (busy.get() || !validateAddress()) return;
        busy.set(true);
        error.set("");
        boolean join = joinByAddress.get();
        String addr = address.get() == null ? "" : address.get().strip();
        Policy chosen = policy.get();
        tasks.run(() -> {
            if (join) node.joinRun(addr); else node.startLocalRun();
            NodeSettings s = node.settings();
            List<ScheduleWindow> schedule = chosen == Policy.SCHEDULE && s.schedule().isEmpty() ? List.of(DEFAULT_WINDOW) : s.schedule();
            // every other field kept: the owner may have set a data cache cap, a CPU limit or a tariff before
            node.updateSettings(s.toBuilder().policy(chosen).schedule(schedule)
                    .runAddress(join ? addr : RunAddress.LOCAL).build());
            node.startNow(); // the first round now, even though the owner just used the mouse; then the policy
            markers.markFirstStartDone();
            return Boolean.TRUE;
        }, ok -> {
            busy.set(false);
            onDone.run();
        }, failure -> {
            busy.set(false);
            if (failure instanceof IllegalArgumentException && join) {
                addressError.set(BackgroundTasks.describe(failure));
            } else if (failure instanceof InvalidSettingException ise) {
                error.set("That setting was refused: " + ise.problem());
            } else {
                error.set("Could not start: " + BackgroundTasks.describe(failure));
            }
        });
    }

    public static String policyLabel(Policy p) {
        return switch (p) {
            case WHEN_IDLE -> "Only when I am away (recommended)";
            case ALWAYS -> "Always, while Hearth runs";
            case SCHEDULE -> "On a schedule (nights 22:00–07:00; change it in Settings)";
        };
    }

    public BooleanProperty joinByAddressProperty() { return joinByAddress; }
    public StringProperty addressProperty() { return address; }
    public ReadOnlyStringProperty addressErrorProperty() { return addressError.getReadOnlyProperty(); }
    public ObjectProperty<Policy> policyProperty() { return policy; }
    public ReadOnlyObjectProperty<GpuCheck> gpuCheckProperty() { return gpuCheck.getReadOnlyProperty(); }
    public ReadOnlyStringProperty gpuTextProperty() { return gpuText.getReadOnlyProperty(); }
    public ReadOnlyBooleanProperty busyProperty() { return busy.getReadOnlyProperty(); }
    public ReadOnlyStringProperty errorProperty() { return error.getReadOnlyProperty(); }
    /// "" for an ordinary user; otherwise the warning, in words.
    public String elevatedWarning() { return elevatedWarning; }
    public ReadOnlyStringProperty afterStartProperty() { return afterStart.getReadOnlyProperty(); }
}
