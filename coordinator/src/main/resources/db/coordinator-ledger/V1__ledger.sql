-- The coordinator's ledger of one run. Times are Unix epoch milliseconds (UTC).

-- Which run this file belongs to: opening it for another run is refused.
CREATE TABLE run_info (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    run_id        TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    train_windows INTEGER NOT NULL CHECK (train_windows > 0),
    seed          INTEGER NOT NULL,
    created_ms    INTEGER NOT NULL
);

CREATE TABLE nodes (
    node_id           TEXT PRIMARY KEY,
    public_key        BLOB,
    first_seen_ms     INTEGER NOT NULL,
    last_seen_ms      INTEGER NOT NULL,
    quarantined       INTEGER NOT NULL DEFAULT 0 CHECK (quarantined IN (0, 1)),
    quarantine_reason TEXT,
    quarantined_ms    INTEGER
);

-- One row per round attempt. A committed round has a version; FAILED, ABANDONED (coordinator restart
-- mid-round) and ROLLED_BACK (committed after the last checkpoint, lost in a crash) rounds have none.
CREATE TABLE rounds (
    round        INTEGER PRIMARY KEY,
    base_version INTEGER NOT NULL,
    version      INTEGER UNIQUE,
    status       TEXT    NOT NULL CHECK (status IN ('OPEN', 'COMMITTED', 'FAILED', 'ABANDONED', 'ROLLED_BACK')),
    reason       TEXT,
    opened_ms    INTEGER NOT NULL,
    deadline_ms  INTEGER NOT NULL,
    closed_ms    INTEGER,
    mean_loss    REAL,
    val_loss     REAL,
    tokens       INTEGER NOT NULL DEFAULT 0,
    accepted     INTEGER NOT NULL DEFAULT 0,
    rejected     INTEGER NOT NULL DEFAULT 0,
    bytes_in     INTEGER NOT NULL DEFAULT 0,
    bytes_out    INTEGER NOT NULL DEFAULT 0
);

-- Every upload, accepted or not, with the reason. No foreign key on round: an upload for a round that
-- never existed is recorded as rejected too.
CREATE TABLE updates (
    id          INTEGER PRIMARY KEY,
    round       INTEGER NOT NULL,
    node_id     TEXT    NOT NULL,
    accepted    INTEGER NOT NULL CHECK (accepted IN (0, 1)),
    reason      TEXT    NOT NULL,
    bytes       INTEGER NOT NULL,
    tokens      INTEGER NOT NULL,
    norm        REAL,
    credits     INTEGER NOT NULL DEFAULT 0,
    received_ms INTEGER NOT NULL
);
CREATE INDEX updates_round ON updates (round, node_id);

-- The proof that no batch is trained into the model twice within a pass: the primary key.
CREATE TABLE committed_batches (
    epoch    INTEGER NOT NULL,
    batch_id INTEGER NOT NULL,
    round    INTEGER NOT NULL REFERENCES rounds (round),
    node_id  TEXT    NOT NULL,
    PRIMARY KEY (epoch, batch_id)
) WITHOUT ROWID;
CREATE INDEX committed_batches_round ON committed_batches (round);

CREATE TABLE credits (
    round   INTEGER NOT NULL REFERENCES rounds (round),
    node_id TEXT    NOT NULL,
    credits INTEGER NOT NULL CHECK (credits >= 0),
    PRIMARY KEY (round, node_id)
);
CREATE INDEX credits_node ON credits (node_id);
