-- Changes to what the search indexes hold (datasets, demands), in order, so that every server of
-- a deployment brings its own index up to date with changes made on any server. Rows are kept for
-- a day. The same table in ../postgres/0017_catalog_changes.sql.
CREATE TABLE catalog_changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT    NOT NULL,
    object_id TEXT    NOT NULL,
    at        INTEGER NOT NULL
) STRICT;
CREATE INDEX catalog_changes_at ON catalog_changes (at);
