-- The metadata store, SQLite flavour. Keep in step with ../postgres/0001_initial.sql: the two
-- differ only in column types (SQLite has no BOOLEAN or BIGINT; STRICT tables make it check the
-- types it does have, so a wrong bind fails here as it would on PostgreSQL).
-- Times are Unix milliseconds; ids are UUID text; lists, columns and targets are JSON text.

CREATE TABLE organizations (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    uscc        TEXT,
    description TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    CONSTRAINT organizations_name_key UNIQUE (name),
    CONSTRAINT organizations_uscc_key UNIQUE (uscc)
) STRICT;

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    username      TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    org_id        TEXT    REFERENCES organizations (id),
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    CONSTRAINT users_username_key UNIQUE (username)
) STRICT;

CREATE TABLE sessions (
    id_hash    TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id),
    csrf_token TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE api_tokens (
    id         TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id),
    name       TEXT    NOT NULL,
    token_hash TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER,
    CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash)
) STRICT;
CREATE INDEX api_tokens_user_id ON api_tokens (user_id, created_at);

CREATE TABLE datasets (
    id               TEXT    NOT NULL PRIMARY KEY,
    name             TEXT    NOT NULL,
    org_id           TEXT    NOT NULL REFERENCES organizations (id),
    title            TEXT    NOT NULL,
    description      TEXT    NOT NULL,
    themes           TEXT    NOT NULL,
    tags             TEXT    NOT NULL,
    update_frequency TEXT    NOT NULL,
    license          TEXT    NOT NULL,
    spatial          TEXT    NOT NULL,
    temporal         TEXT    NOT NULL,
    contact          TEXT    NOT NULL,
    domain           TEXT    NOT NULL,
    opening_type     TEXT    NOT NULL,
    importance       TEXT    NOT NULL,
    grade            TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    modified_at      INTEGER NOT NULL,
    view_count       INTEGER NOT NULL DEFAULT 0,
    download_count   INTEGER NOT NULL DEFAULT 0,
    quality_score    REAL,
    CONSTRAINT datasets_name_key UNIQUE (name)
) STRICT;
CREATE INDEX datasets_modified ON datasets (modified_at DESC, name);
CREATE INDEX datasets_org_id ON datasets (org_id);

CREATE TABLE resources (
    id          TEXT    NOT NULL PRIMARY KEY,
    dataset_id  TEXT    NOT NULL REFERENCES datasets (id),
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    CONSTRAINT resources_dataset_id_name_key UNIQUE (dataset_id, name)
) STRICT;

-- created_by (here and in change_requests) is not a foreign key: it records who acted, which
-- stays true whatever later happens to the account.
CREATE TABLE versions (
    id              TEXT    NOT NULL PRIMARY KEY,
    resource_id     TEXT    NOT NULL REFERENCES resources (id),
    number          INTEGER NOT NULL,
    path            TEXT    NOT NULL,
    source_format   TEXT    NOT NULL,
    source_name     TEXT    NOT NULL,
    source_encoding TEXT,
    row_count       INTEGER NOT NULL,
    byte_size       INTEGER NOT NULL,
    sha256          TEXT    NOT NULL,
    columns         TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    CONSTRAINT versions_resource_id_number_key UNIQUE (resource_id, number)
) STRICT;

CREATE TABLE column_grades (
    resource_id TEXT    NOT NULL REFERENCES resources (id),
    column_name TEXT    NOT NULL,
    position    INTEGER NOT NULL,
    grade       TEXT    NOT NULL,
    confirmed   INTEGER NOT NULL,
    PRIMARY KEY (resource_id, column_name)
) STRICT;

CREATE TABLE change_requests (
    id            TEXT    NOT NULL PRIMARY KEY,
    dataset_id    TEXT    NOT NULL REFERENCES datasets (id),
    target        TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    requested_by  TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    decided_by    TEXT,
    decision_note TEXT,
    created_at    INTEGER NOT NULL,
    decided_at    INTEGER
) STRICT;
CREATE INDEX change_requests_status ON change_requests (status, created_at);
CREATE INDEX change_requests_dataset_id ON change_requests (dataset_id, created_at);
