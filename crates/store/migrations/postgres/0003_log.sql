-- The verifiable access log (DESIGN.md C7), PostgreSQL flavour. Keep in step with
-- ../sqlite/0003_log.sql: the two differ only in column types.
-- Append-only: nothing in Gongshu updates or deletes these rows. Leaves and details name the
-- dataset by its (immutable) slug, not by a foreign key, so deleting a dataset keeps its history.

-- The public leaves. `data` is the leaf's exact bytes (a line of JSON); kind and dataset repeat
-- two of its fields for the portal's counts.
CREATE TABLE log_leaves (
    idx        BIGINT NOT NULL PRIMARY KEY,
    data       TEXT   NOT NULL,
    kind       TEXT   NOT NULL,
    dataset    TEXT,
    created_at BIGINT NOT NULL
);

CREATE INDEX log_leaves_dataset ON log_leaves (dataset, kind);

-- Hashes of the tree's complete subtrees by their stored index (see the tlog crate), so that
-- roots and proofs read O(log n) rows.
CREATE TABLE log_hashes (
    id   BIGINT NOT NULL PRIMARY KEY,
    hash BYTEA  NOT NULL
);

-- The private detail record of each leaf and the salt of its commitment; auditors only.
CREATE TABLE log_details (
    idx    BIGINT NOT NULL PRIMARY KEY REFERENCES log_leaves (idx),
    salt   TEXT   NOT NULL,
    detail TEXT   NOT NULL
);
