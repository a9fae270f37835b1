-- Quality of each version (C9), SQLite flavour; the same in ../postgres/0011_quality.sql. What
-- ingest measured (`measures`, model::quality::VersionMeasures as JSON) and the assessment when
-- the version was published (`assessment`, model::quality::Assessment as JSON); a dataset's
-- score now is computed from its resources' latest measures, the metadata and the clock, and
-- kept in datasets.quality_score for listings.
CREATE TABLE version_quality (
    version_id  TEXT    NOT NULL PRIMARY KEY REFERENCES versions (id),
    dataset_id  TEXT    NOT NULL REFERENCES datasets (id),
    resource_id TEXT    NOT NULL REFERENCES resources (id),
    rows        INTEGER NOT NULL,
    measured_at INTEGER NOT NULL,
    score       REAL    NOT NULL,
    letter      TEXT    NOT NULL,
    measures    TEXT    NOT NULL,
    assessment  TEXT    NOT NULL
) STRICT;
CREATE INDEX version_quality_dataset ON version_quality (dataset_id, measured_at);
CREATE INDEX version_quality_resource ON version_quality (resource_id, measured_at);
