-- Bytes moved per local day, so the daily volume cap survives a restart.
CREATE TABLE daily_volume (
    day        TEXT    PRIMARY KEY,   -- ISO local date, e.g. 2026-11-25, in the node's zone
    bytes_up   INTEGER NOT NULL DEFAULT 0,
    bytes_down INTEGER NOT NULL DEFAULT 0
);
