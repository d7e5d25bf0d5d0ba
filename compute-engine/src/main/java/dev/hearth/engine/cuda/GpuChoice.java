package dev.hearth.engine.cuda;

import dev.hearth.engine.model.ModelConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/// Whether to train on an NVIDIA GPU and on which card, decided from the driver's answers, with the reason in
/// plain words for the first-start screen, the dashboard, `./hearth status` and the log. Pure: the answers are
/// gathered elsewhere ({@link #ask}) and tests fake them.
///
/// Rules, in order: the owner forced the CPU → CPU. No usable driver → CPU, with the driver's sentence. A driver
/// too old to load Hearth's PTX → CPU. The owner picked a card → that card or the CPU (never another card: the
/// owner may keep the other one for games), with that card's reason. Otherwise every card that is new enough
/// ({@link #MIN_CC_MAJOR}.{@link #MIN_CC_MINOR}) and fits the model at micro-batch 1 ({@link VramBudget}) is a
/// candidate; the one with the most multiprocessors trains (then the most free memory, then the lowest index).
public final class GpuChoice {

    /// Hearth's kernels are PTX for `compute_75`: Turing (RTX 20, GTX 16) and newer.
    public static final int MIN_CC_MAJOR = 7;
    public static final int MIN_CC_MINOR = 5;
    /// The PTX ISA Hearth ships (nvcc 11.8's output).
    public static final String PTX_ISA = "7.8";
    /// `cuDriverGetVersion` of the oldest driver that loads PTX ISA 7.8: CUDA 11.8.
    public static final int MIN_CUDA_VERSION = 11080;
    /// The NVIDIA driver release that brought CUDA 11.8.
    public static final int MIN_DRIVER_RELEASE = 520;

    private GpuChoice() {
    }

    /// One card as the driver sees it; `freeBytes` from `cuMemGetInfo` with the context open.
    public record Card(int ordinal, String name, int ccMajor, int ccMinor, int multiprocessors, long freeBytes,
                       long totalBytes) {

        public static Card of(DeviceInfo info, MemInfo memory) {
            return new Card(info.ordinal(), info.name(), info.ccMajor(), info.ccMinor(), info.multiprocessors(),
                    memory.freeBytes(), memory.totalBytes());
        }

        /// `NVIDIA GeForce RTX 3060 (compute capability 8.6)`.
        String described() {
            return name + " (compute capability " + ccMajor + "." + ccMinor + ")";
        }
    }

    /// What the driver answered: either why it is unusable, or its CUDA version, its release (from nvidia-smi,
    /// for wording only; may be empty) and the cards.
    public record Answers(Optional<String> unavailable, int cudaVersion, Optional<String> driverRelease,
                          List<Card> cards) {

        public Answers {
            cards = List.copyOf(cards);
        }

        public static Answers unavailable(String reason) {
            return new Answers(Optional.of(reason), CudaUnavailableException.UNKNOWN_DRIVER_VERSION,
                    Optional.empty(), List.of());
        }

        public static Answers of(int cudaVersion, Optional<String> driverRelease, List<Card> cards) {
            return new Answers(Optional.empty(), cudaVersion, driverRelease, cards);
        }
    }

    /// The owner's settings: train on the CPU regardless, or only on the card with this index.
    public record Settings(boolean forceCpu, OptionalInt pickedGpu) {

        public static Settings automatic() {
            return new Settings(false, OptionalInt.empty());
        }
    }

    /// The decision. `card` empty = train on the CPU; `microBatch` is the largest that fits the card (at most
    /// the one asked for), or the one asked for on the CPU.
    public record Decision(Optional<Card> card, int microBatch, String reason) {

        public boolean onGpu() {
            return card.isPresent();
        }
    }

    /// Decides for `model` trained at up to `maxMicroBatch` windows per pass.
    public static Decision decide(Answers answers, Settings settings, ModelConfig model, int maxMicroBatch) {
        if (settings.forceCpu()) {
            return cpu("the owner chose to train on the CPU (settings)", maxMicroBatch);
        }
        if (answers.unavailable().isPresent()) {
            return cpu(answers.unavailable().get(), maxMicroBatch);
        }
        if (answers.cudaVersion() < MIN_CUDA_VERSION) {
            return cpu(driverTooOld(answers), maxMicroBatch);
        }
        if (answers.cards().isEmpty()) {
            return cpu("CUDA driver found but no GPU", maxMicroBatch);
        }
        if (settings.pickedGpu().isPresent()) {
            int picked = settings.pickedGpu().getAsInt();
            Optional<Card> card = answers.cards().stream().filter(c -> c.ordinal() == picked).findFirst();
            if (card.isEmpty()) {
                return cpu("the GPU picked in settings (#" + picked + ") is not there; this machine has "
                        + cardList(answers.cards()), maxMicroBatch);
            }
            return verdict(card.get(), model, maxMicroBatch).decision(maxMicroBatch, " (picked in settings)");
        }
        List<Verdict> usable = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        for (Card card : answers.cards()) {
            Verdict v = verdict(card, model, maxMicroBatch);
            if (v.microBatch().isPresent()) {
                usable.add(v);
            } else {
                refusals.add(v.why());
            }
        }
        if (usable.isEmpty()) {
            return cpu(String.join("; ", refusals), maxMicroBatch);
        }
        Verdict best = usable.stream().min(Comparator
                .comparingInt((Verdict v) -> -v.card().multiprocessors())
                .thenComparingLong(v -> -v.card().freeBytes())
                .thenComparingInt(v -> v.card().ordinal())).orElseThrow();
        String among = usable.size() > 1
                ? " (the one with the most multiprocessors of " + usable.size() + " usable cards)" : "";
        return best.decision(maxMicroBatch, among);
    }

    /// Asks the loaded driver about every card (opening each one's context briefly for `cuMemGetInfo`), or says
    /// why there is no driver. `driverRelease` is nvidia-smi's driver version, if known (wording only).
    public static Answers ask(Optional<String> driverRelease) {
        CudaDriver driver;
        try {
            driver = CudaDriver.load();
        } catch (CudaUnavailableException e) {
            return Answers.unavailable(e.getMessage());
        }
        List<Card> cards = new ArrayList<>();
        for (int i = 0; i < driver.deviceCount(); i++) {
            try (CudaContext context = driver.open(i)) {
                cards.add(Card.of(driver.device(i), context.memInfo()));
            }
        }
        return Answers.of(driver.driverVersion(), driverRelease, cards);
    }

    /// One card's verdict: the micro-batch it can train at, or why not.
    private record Verdict(Card card, OptionalInt microBatch, String why, long needBytes) {

        Decision decision(int asked, String among) {
            if (microBatch.isEmpty()) {
                return cpu(why, asked);
            }
            int b = microBatch.getAsInt();
            String batch = b == asked ? "micro-batch " + b : "micro-batch " + b + " (of " + asked
                    + " asked: the most that fits)";
            return new Decision(Optional.of(card), b, "training on " + card.described() + among + " at " + batch
                    + ": " + ByteSize.format(card.freeBytes()) + " of " + ByteSize.format(card.totalBytes())
                    + " free, the model needs " + ByteSize.format(needBytes));
        }
    }

    private static Verdict verdict(Card card, ModelConfig model, int maxMicroBatch) {
        if (card.ccMajor() < MIN_CC_MAJOR || (card.ccMajor() == MIN_CC_MAJOR && card.ccMinor() < MIN_CC_MINOR)) {
            return new Verdict(card, OptionalInt.empty(), card.described() + " is older than Hearth's GPU kernels"
                    + " support (" + MIN_CC_MAJOR + "." + MIN_CC_MINOR + " and newer)", 0);
        }
        OptionalInt fit = VramBudget.largestMicroBatch(model, card.freeBytes(), maxMicroBatch);
        if (fit.isEmpty()) {
            return new Verdict(card, fit, "only " + ByteSize.format(card.freeBytes()) + " of "
                    + ByteSize.format(card.totalBytes()) + " free on " + card.name() + "; the model needs "
                    + ByteSize.format(VramBudget.bytes(model, 1)) + " plus "
                    + ByteSize.format(VramBudget.DESKTOP_MARGIN_BYTES) + " left for the desktop", 0);
        }
        return new Verdict(card, fit, "", VramBudget.bytes(model, fit.getAsInt()));
    }

    private static String driverTooOld(Answers answers) {
        String need = "(PTX " + PTX_ISA + " needs R" + MIN_DRIVER_RELEASE + " or newer)";
        Optional<String> release = answers.driverRelease().map(r -> r.strip().split("\\.")[0])
                .filter(r -> !r.isEmpty());
        if (release.isPresent()) {
            return "driver " + release.get() + " is too old to load Hearth's kernels " + need;
        }
        int v = answers.cudaVersion();
        return "the NVIDIA driver supports CUDA " + v / 1000 + "." + (v % 1000) / 10
                + ", too old to load Hearth's kernels " + need;
    }

    private static String cardList(List<Card> cards) {
        return cards.size() == 1 ? "one GPU (#" + cards.getFirst().ordinal() + ")"
                : cards.size() + " GPUs (#" + cards.stream().map(c -> Integer.toString(c.ordinal()))
                        .reduce((a, b) -> a + ", #" + b).orElseThrow() + ")";
    }

    private static Decision cpu(String why, int microBatch) {
        return new Decision(Optional.empty(), microBatch, why + "; training on the CPU");
    }
}
