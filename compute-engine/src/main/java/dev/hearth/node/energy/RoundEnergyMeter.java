package dev.hearth.node.energy;

import dev.hearth.node.api.EnergySource;
import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.api.RoundEnergy;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/// Measures the energy of one round at a time, from what the machine can tell, best first:
///
/// 1. the trainer is on a GPU (NVML reports VRAM held by Hearth on a card) and that card reports its
///    power: the board power integrated over the round ([EnergySource#NVML]);
/// 2. the CPU package counters are readable: their energy over the round ([EnergySource#RAPL]);
/// 3. otherwise the trainer's CPU time × [CpuEnergyEstimate#WATTS_PER_BUSY_CORE] ([EnergySource#ESTIMATE]).
///
/// The caller feeds [Round#sample] about once a second while the round trains (the hardware monitor's
/// latest sample); the meter itself takes no clock and starts no thread, so tests feed it by hand.
public final class RoundEnergyMeter {

    private final Optional<RaplCounters> rapl;
    private final String raplWhy;

    /// @param rapl the package counters, from [RaplCounters#open]
    public RoundEnergyMeter(RaplCounters.Result rapl) {
        this.rapl = rapl.counters();
        this.raplWhy = rapl.why();
    }

    /// A meter for this machine (`/sys/class/powercap`).
    public static RoundEnergyMeter forThisMachine() {
        return new RoundEnergyMeter(RaplCounters.open(RaplCounters.SYS_POWERCAP));
    }

    /// Why RAPL is not used ("… is not readable …"), empty when it is.
    public String raplUnavailableReason() {
        return raplWhy;
    }

    /// Starts metering a round.
    /// @param trainerCpuSeconds the trainer process's CPU time so far, s (NaN when unknown)
    public Round start(Instant at, double trainerCpuSeconds) {
        return new Round(at, trainerCpuSeconds);
    }

    /// One round being metered; used by one thread.
    public final class Round {
        private final double cpuSecondsAtStart;
        private final PowerIntegral gpu = new PowerIntegral();
        private long[] raplLast;
        private double raplJoules;
        private boolean raplFailed;

        private Round(Instant at, double cpuSeconds) {
            this.cpuSecondsAtStart = cpuSeconds;
            readRapl();
        }

        /// One hardware sample taken during the round: the power of the cards Hearth holds VRAM on,
        /// and a RAPL read (often enough to count each wrap-around).
        public void sample(HardwareSample hw) {
            double watts = 0;
            boolean any = false;
            for (HardwareSample.GpuSample g : hw.gpus()) {
                if (g.hearthVramBytes() > 0 && Double.isFinite(g.powerWatts())) {
                    watts += g.powerWatts();
                    any = true;
                }
            }
            if (any) gpu.add(hw.at(), watts);
            readRapl();
        }

        /// @param trainerCpuSeconds the trainer's CPU time now, s (NaN when unknown)
        public RoundEnergy finish(double trainerCpuSeconds) {
            readRapl();
            if (gpu.measured()) return new RoundEnergy(gpu.joules(), EnergySource.NVML);
            if (rapl.isPresent() && !raplFailed && raplLast != null) return new RoundEnergy(raplJoules, EnergySource.RAPL);
            // No start figure: the trainer process was started during the round (the first round, or
            // after a crash), so all of its CPU time is this round's.
            double cpu = trainerCpuSeconds - (Double.isFinite(cpuSecondsAtStart) ? cpuSecondsAtStart : 0);
            return new RoundEnergy(CpuEnergyEstimate.joules(Double.isFinite(cpu) ? cpu : 0), EnergySource.ESTIMATE);
        }

        private void readRapl() {
            if (rapl.isEmpty() || raplFailed) return;
            try {
                long[] now = rapl.get().read();
                if (raplLast != null) raplJoules += rapl.get().joulesSince(raplLast, now);
                raplLast = now;
            } catch (IOException | RuntimeException e) {
                raplFailed = true; // a counter that vanished mid-round: fall back to the estimate
            }
        }
    }
}
