package dev.hearth.coordinator.service;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.protocol.wire.ValueEncoding;

/// What nodes are told about a run in `Welcome`.
final class RunConfigs {

    private RunConfigs() {}

    static dev.hearth.protocol.wire.RunConfig toWire(RunConfig c, String corpusId) {
        var wire = dev.hearth.protocol.wire.RunConfig.newBuilder()
                .setModel(c.model().name())
                .setSequencesPerBatch(c.sequencesPerNode())
                .setDemoBeta(c.demoBeta())
                .setDemoBlockSize(c.demoBlock())
                .setDemoTopK(c.demoTopK())
                .setValueEncoding("fp16".equals(c.demoEncoding()) ? ValueEncoding.FP16 : ValueEncoding.SIGN_1BIT)
                .setLrMax(c.lrMax())
                .setLrMin(c.lrMin())
                .setWarmupRounds(c.warmupRounds())
                .setTotalRounds(c.totalRounds())
                .setDataSeed(c.seed())
                .setCorpusId(corpusId);
        return c.outerRule().describe(wire).build(); // outer_step, local_steps, outer_lr, weight_decay
    }
}
