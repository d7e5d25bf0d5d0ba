package dev.hearth.engine.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.MeanStep;
import dev.hearth.engine.demo.OuterRule;
import dev.hearth.engine.demo.SignStep;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.protocol.wire.OuterStepKind;
import dev.hearth.protocol.wire.RunConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/// The run's recipe on the wire: what the coordinator writes into `Welcome` is what every node reads back, for every
/// value of every choice, and a value this version does not know is refused by name, not read as another.
class RunRecipeTest {

    static final RunRecipe.DataIdentity DATA = new RunRecipe.DataIdentity("tinystories-v1",
            ByteString.copyFrom(new byte[32]));

    static RunRecipe recipe(ModelConfig model, OuterRule outer, ValueEncoding encoding, RobustAggregation robust) {
        return new RunRecipe(model, 2_000, 42, 64, new DemoConfig(0.999f, 32, 16, encoding), outer, 1e-3, 1e-4, 3,
                robust, DATA);
    }

    /// Every combination of the enums (and each model and rule): one recipe each.
    static List<RunRecipe> everyRecipe() {
        List<RunRecipe> out = new ArrayList<>();
        for (String model : ModelConfig.NAMES) {
            for (OuterRule outer : List.of(new SignStep(0.01), new MeanStep(8, 1.5, 0.1), new MeanStep(3, 0.7, 0))) {
                for (ValueEncoding encoding : ValueEncoding.values()) {
                    for (RobustAggregation robust : RobustAggregation.values()) {
                        if (outer.localSteps() > 0 && robust == RobustAggregation.TRIMMED_MEAN) continue; // refused
                        out.add(recipe(ModelConfig.byName(model), outer, encoding, robust));
                    }
                }
            }
        }
        return out;
    }

    @Test
    void everyRecipeComesBackFromTheWireConfigItWrites() throws Exception {
        List<RunRecipe> all = everyRecipe();
        assertEquals(3 * 2 * (3 + 2 + 2), all.size(),
                "3 models × 2 encodings × (3 robust choices with the sign step + 2 with each mean step)");
        for (RunRecipe r : all) {
            RunConfig wire = r.toWire();
            assertEquals(r, RunRecipe.fromWire(wire));
            assertEquals(r, RunRecipe.fromWire(RunConfig.parseFrom(wire.toByteArray())), "through the bytes too");
        }
    }

    @Test
    void theWireFieldsAreTheOnesEarlierVersionsRead() {
        RunConfig wire = recipe(ModelConfig.nano(), new MeanStep(8, 1.5, 0.1), ValueEncoding.FP16,
                RobustAggregation.NORM_CLIP).toWire();
        assertEquals("nano", wire.getModel());
        assertEquals(64, wire.getSequencesPerBatch());
        assertEquals(0.999f, (float) wire.getDemoBeta());
        assertEquals(32, wire.getDemoBlockSize());
        assertEquals(16, wire.getDemoTopK());
        assertEquals(dev.hearth.protocol.wire.ValueEncoding.FP16, wire.getValueEncoding());
        assertEquals(1e-3, wire.getLrMax());
        assertEquals(1e-4, wire.getLrMin());
        assertEquals(3, wire.getWarmupRounds());
        assertEquals(2_000, wire.getTotalRounds());
        assertEquals(42, wire.getDataSeed());
        assertEquals(OuterStepKind.OUTER_MEAN, wire.getOuterStep());
        assertEquals(8, wire.getLocalSteps());
        assertEquals(1.5, wire.getOuterLr());
        assertEquals(0.1, wire.getWeightDecay());
        assertEquals(dev.hearth.protocol.wire.RobustAggregation.ROBUST_NORM_CLIP, wire.getRobustAggregation());
        assertEquals("tinystories-v1", wire.getCorpusId());
        assertEquals(DATA.manifestSha256(), wire.getDatasetManifestSha256());
    }

    @Test
    void unsetChoicesReadAsWhatCoordinatorsBeforeThemMeant() {
        RunConfig old = recipe(ModelConfig.nano(), new SignStep(0), ValueEncoding.SIGN_1BIT, RobustAggregation.MEAN)
                .toWire().toBuilder().clearValueEncoding().clearOuterStep().clearRobustAggregation().build();
        RunRecipe r = RunRecipe.fromWire(old);
        assertEquals(ValueEncoding.SIGN_1BIT, r.demo().encoding());
        assertEquals(new SignStep(0), r.outer());
        assertEquals(RobustAggregation.MEAN, r.robust());
    }

    @Test
    void aValueThisVersionDoesNotKnowIsRefusedByName() {
        RunConfig wire = recipe(ModelConfig.nano(), new SignStep(0), ValueEncoding.SIGN_1BIT, RobustAggregation.MEAN)
                .toWire();
        var encoding = assertThrows(IllegalArgumentException.class,
                () -> RunRecipe.fromWire(wire.toBuilder().setValueEncodingValue(7).build()));
        assertEquals("the run's value encoding 7 is not one this version of Hearth knows (sign, fp16); update Hearth",
                encoding.getMessage());
        var robust = assertThrows(IllegalArgumentException.class,
                () -> RunRecipe.fromWire(wire.toBuilder().setRobustAggregationValue(9).build()));
        assertEquals("the run's robust aggregation 9 is not one this version of Hearth knows (mean, trimmed_mean,"
                + " norm_clip); update Hearth", robust.getMessage());
        var outer = assertThrows(IllegalArgumentException.class,
                () -> RunRecipe.fromWire(wire.toBuilder().setOuterStepValue(5).build()));
        assertTrue(outer.getMessage().startsWith("the run's outer step 5 is not one"), outer.getMessage());
        var model = assertThrows(IllegalArgumentException.class,
                () -> RunRecipe.fromWire(wire.toBuilder().setModel("gpt5").build()));
        assertTrue(model.getMessage().contains("gpt5"), model.getMessage());
    }

    @Test
    void eachChoiceHasOneNameInTheConfigAndBack() {
        for (ValueEncoding e : ValueEncoding.values()) {
            assertEquals(e, ValueEncoding.named(e.configName()));
            assertEquals(e, ValueEncoding.fromWire(e.toWire().getNumber()));
        }
        for (RobustAggregation r : RobustAggregation.values()) {
            assertEquals(r, RobustAggregation.named(r.configName()));
            assertEquals(r, RobustAggregation.fromWire(r.toWire().getNumber()));
        }
        assertEquals(List.of("sign", "fp16"), List.of(ValueEncoding.SIGN_1BIT.configName(), ValueEncoding.FP16.configName()));
        assertEquals("robust aggregation must be one of mean, trimmed_mean, norm_clip, got 'median'",
                assertThrows(IllegalArgumentException.class, () -> RobustAggregation.named("median")).getMessage());
        assertEquals(0.25, ((dev.hearth.engine.demo.RobustMode.TrimmedMean) RobustAggregation.TRIMMED_MEAN.mode())
                .fraction());
    }

    @Test
    void aRecipeWhoseFieldsDoNotFitTogetherIsRefused() {
        var trimmed = assertThrows(OuterRule.SettingException.class, () -> recipe(ModelConfig.nano(),
                new MeanStep(8, 1.5, 0.1), ValueEncoding.SIGN_1BIT, RobustAggregation.TRIMMED_MEAN));
        assertEquals("robust", trimmed.setting());
        var windows = assertThrows(IllegalArgumentException.class, () -> new RunRecipe(ModelConfig.nano(), 10, 1, 4,
                DemoConfig.defaults(), new MeanStep(8, 1.5, 0.1), 1e-3, 1e-4, 0, RobustAggregation.MEAN, DATA));
        assertTrue(windows.getMessage().contains("at least the local steps (8)"), windows.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RunRecipe(ModelConfig.nano(), 10, 1, 8,
                DemoConfig.defaults(), new SignStep(0), 1e-4, 1e-3, 0, RobustAggregation.MEAN, DATA), "lr_min > lr_max");
        assertThrows(IllegalArgumentException.class, () -> new RunRecipe.DataIdentity("x", ByteString.copyFrom(new byte[5])));
    }

    @Test
    void theDataIdentityIsAddedOnceTheCorpusIsRead() {
        RunRecipe fromFile = recipe(ModelConfig.nano(), new SignStep(0), ValueEncoding.SIGN_1BIT, RobustAggregation.MEAN)
                .withData(RunRecipe.DataIdentity.NOT_READ);
        assertEquals("", fromFile.toWire().getCorpusId());
        assertEquals(DATA, fromFile.withData(DATA).data());
        assertEquals(fromFile.outer(), fromFile.withData(DATA).outer());
    }
}
