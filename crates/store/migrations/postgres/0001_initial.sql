-- The metadata store, PostgreSQL flavour. Keep in step with ../sqlite/0001_initial.sql: the two
-- differ only in column types (BIGINT, BOOLEAN and DOUBLE PRECISION here).
-- Times are Unix milliseconds; ids are UUID text; lists, columns and targets are JSON text, so the
-- store's SQL is the same on both backends.

CREATE TABLE organizations (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    uscc        TEXT,
    description TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    CONSTRAINT organizations_name_key UNIQUE (name),
    CONSTRAINT organizations_uscc_key UNIQUE (uscc)
);

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    username      TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    org_id        TEXT    REFERENCES organizations (id),
    password_hash TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    CONSTRAINT users_username_key UNIQUE (username)
);

CREATE TABLE sessions (
    id_hash    TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id),
    csrf_token TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE api_tokens (
    id         TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id),
    name       TEXT    NOT NULL,
    token_hash TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT,
    CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash)
);
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
    created_at       BIGINT  NOT NULL,
    modified_at      BIGINT  NOT NULL,
    view_count       BIGINT  NOT NULL DEFAULT 0,
    download_count   BIGINT  NOT NULL DEFAULT 0,
    quality_score    DOUBLE PRECISION,
    CONSTRAINT datasets_name_key UNIQUE (name)
);
CREATE INDEX datasets_modified ON datasets (modified_at DESC, name);
CREATE INDEX datasets_org_id ON datasets (org_id);

CREATE TABLE resources (
    id          TEXT    NOT NULL PRIMARY KEY,
    dataset_id  TEXT    NOT NULL REFERENCES datasets (id),
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    CONSTRAINT resources_dataset_id_name_key UNIQUE (dataset_id, name)
);

-- created_by (here and in change_requests) is not a foreign key: it records who acted, which
-- stays true whatever later happens to the account.
CREATE TABLE versions (
    id              TEXT    NOT NULL PRIMARY KEY,
    resource_id     TEXT    NOT NULL REFERENCES resources (id),
    number          BIGINT  NOT NULL,
    path            TEXT    NOT NULL,
    source_format   TEXT    NOT NULL,
    source_name     TEXT    NOT NULL,
    source_encoding TEXT,
    row_count       BIGINT  NOT NULL,
    byte_size       BIGINT  NOT NULL,
    sha256          TEXT    NOT NULL,
    columns         TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    CONSTRAINT versions_resource_id_number_key UNIQUE (resource_id, number)
);

CREATE TABLE column_grades (
    resource_id TEXT    NOT NULL REFERENCES resources (id),
    column_name TEXT    NOT NULL,
    position    BIGINT  NOT NULL,
    grade       TEXT    NOT NULL,
    confirmed   BOOLEAN NOT NULL,
    PRIMARY KEY (resource_id, column_name)
);

CREATE TABLE change_requests (
    id            TEXT    NOT NULL PRIMARY KEY,
    dataset_id    TEXT    NOT NULL REFERENCES datasets (id),
    target        TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    requested_by  TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    decided_by    TEXT,
    decision_note TEXT,
    created_at    BIGINT  NOT NULL,
    decided_at    BIGINT
);
CREATE INDEX change_requests_status ON change_requests (status, created_at);
CREATE INDEX change_requests_dataset_id ON change_requests (dataset_id, created_at);
