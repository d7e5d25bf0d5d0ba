package dev.hearth.node.api;

/// Where a round's energy figure came from, as stored in the history's `energy_source` column.
public enum EnergySource {
    /// GPU board power read from NVML during the round and integrated over it (the CPU feeding the
    /// GPU is not counted).
    NVML("nvml", "measured, GPU"),
    /// The CPU package's own energy counter (RAPL, `/sys/class/powercap`): the whole package, so
    /// whatever else the machine ran during the round is in it too.
    RAPL("rapl", "measured, CPU package"),
    /// `dev.hearth.node.energy.CpuEnergyEstimate`: the trainer's CPU time × a named constant per busy core.
    ESTIMATE("estimate", "estimated");

    /// 15 W per busy core, for [#ESTIMATE]: a desktop CPU of 65–125 W TDP with 4–8 cores draws about
    /// 10–20 W per fully loaded core (package power over cores at all-core load); laptops less, high-end
    /// desktops more. An estimate, labelled as one wherever it is shown.
    public static final double ESTIMATE_WATTS_PER_BUSY_CORE = 15.0;

    private final String column;
    private final String words;

    EnergySource(String column, String words) {
        this.column = column;
        this.words = words;
    }

    /// The value kept in the history database and the CSV.
    public String column() {
        return column;
    }

    /// How it reads after a figure: "0.012 kWh (estimated)".
    public String words() {
        return words;
    }

    /// @throws IllegalArgumentException naming the unknown value
    public static EnergySource ofColumn(String value) {
        for (EnergySource s : values()) if (s.column.equals(value)) return s;
        throw new IllegalArgumentException("unknown energy source '" + value + "' (expected nvml, rapl or estimate)");
    }
}
