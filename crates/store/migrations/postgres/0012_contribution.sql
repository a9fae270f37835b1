-- The contribution index and the incentive report (C9), PostgreSQL flavour; the same in
-- ../sqlite/0012_contribution.sql but for the JSON function that fills `rows`.
--
-- `rows` repeats the rows a data leaf delivered (the leaf's `rows` field), as `kind` and
-- `dataset` repeat theirs, so usage sums need not parse every leaf; the leaf's bytes are
-- untouched. Periods are read by time: leaves, versions and reuses get an index on it.
ALTER TABLE log_leaves ADD COLUMN rows BIGINT;
UPDATE log_leaves SET rows = (data::jsonb ->> 'rows')::bigint;
CREATE INDEX log_leaves_created ON log_leaves (created_at);
CREATE INDEX versions_created ON versions (created_at);

-- Published incentive reports: the exact CSV the authority published, its SHA-256 (also a
-- leaf of the access log, whose index is kept), once per period and kind of organization.
CREATE TABLE incentive_reports (
    id           TEXT   NOT NULL PRIMARY KEY,
    period       TEXT   NOT NULL,
    kind         TEXT   NOT NULL,
    sha256       TEXT   NOT NULL,
    body         TEXT   NOT NULL,
    entries      BIGINT NOT NULL,
    published_by TEXT   NOT NULL REFERENCES users (id),
    published_at BIGINT NOT NULL,
    log_index    BIGINT,
    CONSTRAINT incentive_reports_period_kind_key UNIQUE (period, kind)
);
