-- The data dictionary of each resource (C1, C9). The same table in
-- ../sqlite/0014_dictionary.sql: `notes` is the JSON of the checked
-- model::dictionary::ColumnNote list (column descriptions and the key), in column order, as the
-- publisher last saved it; one row per resource, replaced whole.
CREATE TABLE resource_dictionaries (
    resource_id TEXT    NOT NULL PRIMARY KEY REFERENCES resources (id),
    notes       TEXT    NOT NULL,
    updated_by  TEXT    NOT NULL REFERENCES users (id),
    updated_at  BIGINT  NOT NULL
);
