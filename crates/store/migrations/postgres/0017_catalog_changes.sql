-- Changes to what the search indexes hold (datasets, demands), in order, so that every server of
-- a deployment brings its own index up to date with changes made on any server. Rows are kept for
-- a day. The same table in ../sqlite/0017_catalog_changes.sql.
CREATE TABLE catalog_changes (
    seq       BIGSERIAL PRIMARY KEY,
    kind      TEXT    NOT NULL,
    object_id TEXT    NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX catalog_changes_at ON catalog_changes (at);
