-- Energy per round (issue 16 item 6): joules the round used and where the figure came from.
-- NULL in both for rounds recorded before this migration (their energy was not metered).
--   nvml     GPU board power from NVML integrated over the round (the CPU feeding it not counted)
--   rapl     the CPU packages' RAPL energy counters over the round (the whole package)
--   estimate the trainer's CPU time × a constant W per busy core (CpuEnergyEstimate)
ALTER TABLE round_record ADD COLUMN energy_joules REAL CHECK (energy_joules IS NULL OR energy_joules >= 0);
ALTER TABLE round_record ADD COLUMN energy_source TEXT CHECK (energy_source IS NULL OR energy_source IN ('nvml', 'rapl', 'estimate'));
