-- Contribution history: one row per session of the node and per round it took part in.
-- Instants are epoch milliseconds (UTC); days are computed in the reader's zone, not stored.

CREATE TABLE node_session (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,              -- NULL while the session runs (or until a crash is noticed)
    stop_reason TEXT
);

CREATE TABLE round_record (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id      INTEGER REFERENCES node_session(id),
    run             TEXT    NOT NULL,
    round           INTEGER NOT NULL,
    finished_at     INTEGER NOT NULL,
    tokens          INTEGER NOT NULL,
    compute_seconds REAL    NOT NULL,
    bytes_up        INTEGER NOT NULL,
    bytes_down      INTEGER NOT NULL,
    accepted        INTEGER NOT NULL CHECK (accepted IN (0, 1)),
    reject_reason   TEXT    NOT NULL DEFAULT '',
    credits         REAL    NOT NULL,
    local_loss      REAL,             -- NULL when unknown (NaN in Java)
    UNIQUE (run, round)
);

CREATE INDEX round_record_finished_at ON round_record (finished_at);
