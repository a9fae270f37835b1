-- The contribution index and the incentive report (C9), PostgreSQL flavour; the same in
-- ../sqlite/0012_contribution.sql but for the functions that read a
-- leaf's month and rows.
--
-- `usage_monthly` adds every leaf that names a dataset to its month (China Standard Time), with
-- the rows a data leaf delivered, in the transaction that appends the leaf, so a
-- period's usage (months, quarters and years are whole months) reads one row per dataset, kind
-- and month instead of every leaf (bench/RESULTS.md, the contribution index at scale). A
-- version's resource, time and number are indexed together: the versions of each resource in a
-- period, and its latest version at a moment, are one index seek each.
CREATE INDEX versions_resource_created ON versions (resource_id, created_at, number);
CREATE TABLE usage_monthly (
    month   BIGINT NOT NULL,
    dataset TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    leaves  BIGINT NOT NULL,
    rows    BIGINT NOT NULL,
    PRIMARY KEY (month, dataset, kind)
);
INSERT INTO usage_monthly (month, dataset, kind, leaves, rows)
    SELECT CAST(to_char(to_timestamp(created_at / 1000.0 + 28800) AT TIME ZONE 'UTC', 'YYYYMM') AS BIGINT), dataset, kind, COUNT(*), COALESCE(SUM((data::jsonb ->> 'rows')::bigint), 0)
    FROM log_leaves WHERE dataset IS NOT NULL
    GROUP BY CAST(to_char(to_timestamp(created_at / 1000.0 + 28800) AT TIME ZONE 'UTC', 'YYYYMM') AS BIGINT), dataset, kind;

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
