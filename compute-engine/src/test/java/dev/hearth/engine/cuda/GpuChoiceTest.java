package dev.hearth.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.cuda.GpuChoice.Answers;
import dev.hearth.engine.cuda.GpuChoice.Card;
import dev.hearth.engine.cuda.GpuChoice.Decision;
import dev.hearth.engine.cuda.GpuChoice.Settings;
import dev.hearth.engine.model.ModelConfig;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/// The GPU choice from faked driver answers (the cards' figures are the real ones of those models).
class GpuChoiceTest {

    private static final long GIB = 1L << 30;
    private static final ModelConfig SMALL = ModelConfig.small();
    private static final ModelConfig GPT2_SHAPE = new ModelConfig("gpt2-small-shape", 12, 768, 12, 1024,
            ModelConfig.BYTE_VOCAB);
    private static final int R535 = 12020;

    private static final Card GTX_1080 = new Card(0, "NVIDIA GeForce GTX 1080", 6, 1, 20, 7 * GIB, 8 * GIB);
    private static final Card RTX_3060 = new Card(1, "NVIDIA GeForce RTX 3060", 8, 6, 28, 11 * GIB, 12 * GIB);
    private static final Card RTX_4090 = new Card(2, "NVIDIA GeForce RTX 4090", 8, 9, 128, 22 * GIB, 24 * GIB);

    private static Answers driver(Card... cards) {
        return Answers.of(R535, Optional.of("535.309.01"), List.of(cards));
    }

    private static Decision auto(Answers answers, ModelConfig model, int microBatch) {
        return GpuChoice.decide(answers, Settings.automatic(), model, microBatch);
    }

    @Test
    void theOwnerForcingTheCpuWins() {
        Decision d = GpuChoice.decide(driver(RTX_4090), new Settings(true, OptionalInt.empty()), SMALL, 8);
        assertFalse(d.onGpu());
        assertEquals("the owner chose to train on the CPU (settings); training on the CPU", d.reason());
        assertEquals(8, d.microBatch());
    }

    @Test
    void noDriverGivesTheDriversSentence() {
        Decision d = auto(Answers.unavailable("no NVIDIA driver library (libcuda.so.1) found"), SMALL, 8);
        assertFalse(d.onGpu());
        assertEquals("no NVIDIA driver library (libcuda.so.1) found; training on the CPU", d.reason());
    }

    @Test
    void aDriverTooOldForThePtxIsNamedByItsRelease() {
        Decision d = auto(Answers.of(11070, Optional.of("515.65.01"), List.of(RTX_3060)), SMALL, 8);
        assertFalse(d.onGpu());
        assertEquals("driver 515 is too old to load Hearth's kernels (PTX 7.8 needs R520 or newer); training on the CPU",
                d.reason());
    }

    @Test
    void aDriverTooOldIsNamedByItsCudaVersionWhenTheReleaseIsUnknown() {
        Decision d = auto(Answers.of(11070, Optional.empty(), List.of(RTX_3060)), SMALL, 8);
        assertEquals("the NVIDIA driver supports CUDA 11.7, too old to load Hearth's kernels (PTX 7.8 needs R520 or"
                + " newer); training on the CPU", d.reason());
    }

    @Test
    void theOldestDriverThatLoadsThePtxIsEnough() {
        assertTrue(auto(Answers.of(11080, Optional.of("520.61.05"), List.of(RTX_3060)), SMALL, 8).onGpu());
    }

    @Test
    void aPascalCardIsOlderThanTheKernelsSupport() {
        Decision d = auto(driver(GTX_1080), SMALL, 8);
        assertFalse(d.onGpu());
        assertEquals("NVIDIA GeForce GTX 1080 (compute capability 6.1) is older than Hearth's GPU kernels support"
                + " (7.5 and newer); training on the CPU", d.reason());
    }

    @Test
    void turingIsTheOldestSupported() {
        Card turing = new Card(0, "NVIDIA GeForce RTX 2060", 7, 5, 30, 5 * GIB, 6 * GIB);
        Card volta = new Card(0, "Tesla V100-SXM2-16GB", 7, 0, 80, 15 * GIB, 16 * GIB);
        assertTrue(auto(driver(turing), SMALL, 8).onGpu());
        assertFalse(auto(driver(volta), SMALL, 8).onGpu());
    }

    @Test
    void tooLittleFreeMemorySaysHowMuchIsFreeAndNeeded() {
        Card busy = new Card(0, "NVIDIA GeForce RTX 3070", 8, 6, 46, (long) (1.2 * GIB), 8 * GIB);
        Decision d = auto(driver(busy), GPT2_SHAPE, 8);
        assertFalse(d.onGpu());
        assertEquals("only 1.2 GiB of 8 GiB free on NVIDIA GeForce RTX 3070; the model needs "
                + ByteSize.format(VramBudget.bytes(GPT2_SHAPE, 1)) + " plus 512 MiB left for the desktop;"
                + " training on the CPU", d.reason());
    }

    @Test
    void aCardThatFitsTrainsAtTheMicroBatchAsked() {
        Decision d = auto(driver(RTX_3060), SMALL, 8);
        assertTrue(d.onGpu());
        assertEquals(1, d.card().orElseThrow().ordinal());
        assertEquals(8, d.microBatch());
        assertEquals("training on NVIDIA GeForce RTX 3060 (compute capability 8.6) at micro-batch 8: 11 GiB of"
                + " 12 GiB free, the model needs " + ByteSize.format(VramBudget.bytes(SMALL, 8)), d.reason());
    }

    @Test
    void aCardThatFitsLessTrainsAtTheMostThatFits() {
        int fits = VramBudget.largestMicroBatch(GPT2_SHAPE, RTX_3060.freeBytes(), 64).orElseThrow();
        assertTrue(fits > 1 && fits < 64, "fits " + fits);
        Decision d = auto(driver(RTX_3060), GPT2_SHAPE, 64);
        assertEquals(fits, d.microBatch());
        assertTrue(d.reason().contains("at micro-batch " + fits + " (of 64 asked: the most that fits)"), d.reason());
    }

    @Test
    void ofSeveralCardsTheOneWithTheMostMultiprocessorsTrains() {
        Decision d = auto(driver(GTX_1080, RTX_3060, RTX_4090), SMALL, 8);
        assertEquals(2, d.card().orElseThrow().ordinal());
        assertTrue(d.reason().startsWith("training on NVIDIA GeForce RTX 4090 (compute capability 8.9) (the one"
                + " with the most multiprocessors of 2 usable cards) at micro-batch 8"), d.reason());
    }

    @Test
    void anOldCardBesideANewOneIsPassedOver() {
        Decision d = auto(driver(GTX_1080, RTX_3060), SMALL, 8);
        assertEquals(1, d.card().orElseThrow().ordinal());
    }

    @Test
    void noUsableCardListsEveryCardsReason() {
        Card full = new Card(1, "NVIDIA GeForce RTX 3050", 8, 6, 20, GIB / 2, 8 * GIB);
        Decision d = auto(driver(GTX_1080, full), SMALL, 8);
        assertFalse(d.onGpu());
        assertTrue(d.reason().startsWith("NVIDIA GeForce GTX 1080 (compute capability 6.1) is older than Hearth's"
                + " GPU kernels support (7.5 and newer); only 512 MiB of 8 GiB free on NVIDIA GeForce RTX 3050;"),
                d.reason());
    }

    @Test
    void theCardTheOwnerPickedTrainsEvenIfAnotherIsFaster() {
        Decision d = GpuChoice.decide(driver(RTX_3060, RTX_4090), new Settings(false, OptionalInt.of(1)), SMALL, 8);
        assertEquals(1, d.card().orElseThrow().ordinal());
        assertTrue(d.reason().startsWith("training on NVIDIA GeForce RTX 3060 (compute capability 8.6) (picked in"
                + " settings)"), d.reason());
    }

    @Test
    void aPickedCardThatCannotTrainMeansTheCpuNotAnotherCard() {
        Decision d = GpuChoice.decide(driver(GTX_1080, RTX_3060), new Settings(false, OptionalInt.of(0)), SMALL, 8);
        assertFalse(d.onGpu());
        assertTrue(d.reason().startsWith("NVIDIA GeForce GTX 1080 (compute capability 6.1) is older"), d.reason());
    }

    @Test
    void aPickedCardThatIsNotThereIsSaid() {
        Decision d = GpuChoice.decide(driver(GTX_1080, RTX_3060), new Settings(false, OptionalInt.of(5)), SMALL, 8);
        assertFalse(d.onGpu());
        assertEquals("the GPU picked in settings (#5) is not there; this machine has 2 GPUs (#0, #1); training on"
                + " the CPU", d.reason());
    }

    @Test
    void aDriverWithNoCardsTrainsOnTheCpu() {
        assertEquals("CUDA driver found but no GPU; training on the CPU", auto(driver(), SMALL, 8).reason());
    }

    @Test
    void askingTheInstalledDriverWithoutAGpuGivesItsSentence() {
        CudaLibrary lib = InstalledDriver.libraryOrSkip();
        Assumptions.assumeFalse(lib.cuInit(0) == CudaLibrary.CUDA_SUCCESS, "this machine has a GPU");
        Decision d = auto(GpuChoice.ask(Optional.empty()), SMALL, 8);
        assertFalse(d.onGpu());
        assertEquals("CUDA driver found but no GPU (CUDA_ERROR_NO_DEVICE); training on the CPU", d.reason());
    }
}
