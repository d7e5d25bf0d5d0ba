-- Every loss spot check, so a quarantine can be explained and strikes survive a coordinator restart.
CREATE TABLE spot_checks (
    id          INTEGER PRIMARY KEY,
    round       INTEGER NOT NULL,
    node_id     TEXT    NOT NULL,
    loss_before REAL,
    loss_after  REAL,
    strike      INTEGER NOT NULL CHECK (strike IN (0, 1)),
    reason      TEXT    NOT NULL,
    checked_ms  INTEGER NOT NULL
);
CREATE INDEX spot_checks_node ON spot_checks (node_id, round);
