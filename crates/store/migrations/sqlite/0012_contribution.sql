-- The contribution index and the incentive report (C9), SQLite flavour; the same in
-- ../postgres/0012_contribution.sql but for the functions that read a
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
    month   INTEGER NOT NULL,
    dataset TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    leaves  INTEGER NOT NULL,
    rows    INTEGER NOT NULL,
    PRIMARY KEY (month, dataset, kind)
) STRICT;
INSERT INTO usage_monthly (month, dataset, kind, leaves, rows)
    SELECT CAST(strftime('%Y%m', created_at / 1000 + 28800, 'unixepoch') AS INTEGER), dataset, kind, COUNT(*), COALESCE(SUM(json_extract(data, '$.rows')), 0)
    FROM log_leaves WHERE dataset IS NOT NULL
    GROUP BY CAST(strftime('%Y%m', created_at / 1000 + 28800, 'unixepoch') AS INTEGER), dataset, kind;

-- Published incentive reports: the exact CSV the authority published, its SHA-256 (also a
-- leaf of the access log, whose index is kept), once per period and kind of organization.
CREATE TABLE incentive_reports (
    id           TEXT    NOT NULL PRIMARY KEY,
    period       TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    sha256       TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    entries      INTEGER NOT NULL,
    published_by TEXT    NOT NULL REFERENCES users (id),
    published_at INTEGER NOT NULL,
    log_index    INTEGER,
    CONSTRAINT incentive_reports_period_kind_key UNIQUE (period, kind)
) STRICT;
