-- Parts of a clean room that the holder's own organization owns (C6). An organization sees its
-- own data already, so such a part has no application; the clean room's rules apply to its table
-- as to every other (join keys and entity columns as pseudonyms, identifiers left out, k counted
-- on its entities too). The same table in ../sqlite/0015_cleanroom_own.sql.
CREATE TABLE cleanroom_own_parts (
    cleanroom_id TEXT    NOT NULL REFERENCES cleanrooms (id),
    dataset_id   TEXT    NOT NULL REFERENCES datasets (id),
    position     INTEGER NOT NULL,
    PRIMARY KEY (cleanroom_id, dataset_id)
);
