-- Feedback on public services (DESIGN.md C10), PostgreSQL flavour. Keep in step with
-- ../sqlite/0006_feedback.sql: the two differ only in column types (BIGINT, BOOLEAN and DOUBLE PRECISION here).
-- A service (Open311's service) is a category of feedback, routed to one department. Its extra
-- questions are JSON text in Open311's attribute shape.
CREATE TABLE feedback_services (
    code        TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    name_en     TEXT    NOT NULL,
    description TEXT    NOT NULL,
    group_name  TEXT    NOT NULL,
    keywords    TEXT    NOT NULL,
    attributes  TEXT    NOT NULL,
    org_id      TEXT    NOT NULL REFERENCES organizations (id),
    active      BOOLEAN NOT NULL,
    created_at  BIGINT  NOT NULL,
    modified_at BIGINT  NOT NULL
);

-- One item of feedback. The contact details are private and live in their own table, so no
-- query that lists or shows items can carry them by accident. `secret_hash` is the SHA-256 of
-- the private link's key given at submission; `token` is the public Open311 token.
-- `created_month` (YYYYMM in China Standard Time) serves the monthly trend.
CREATE TABLE feedback (
    id                TEXT    NOT NULL PRIMARY KEY,
    token             TEXT    NOT NULL UNIQUE,
    service_code      TEXT    NOT NULL REFERENCES feedback_services (code),
    org_id            TEXT    NOT NULL REFERENCES organizations (id),
    description       TEXT    NOT NULL,
    hidden_reason     TEXT,
    lat               DOUBLE PRECISION,
    long              DOUBLE PRECISION,
    address           TEXT,
    attributes        TEXT    NOT NULL,
    submitted_by      TEXT    REFERENCES users (id),
    secret_hash       TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    status_note       TEXT,
    due_at            BIGINT  NOT NULL,
    expected_at       BIGINT,
    first_answered_at BIGINT,
    closed_at         BIGINT,
    resolved_at       BIGINT,
    rating            BIGINT,
    reopen_count      BIGINT  NOT NULL,
    photo_count       BIGINT  NOT NULL,
    created_month     BIGINT  NOT NULL,
    created_at        BIGINT  NOT NULL,
    modified_at       BIGINT  NOT NULL
);
CREATE INDEX feedback_created_at ON feedback (created_at);
CREATE INDEX feedback_status ON feedback (status, due_at);
CREATE INDEX feedback_service ON feedback (service_code, created_at);
CREATE INDEX feedback_org ON feedback (org_id, created_at);
CREATE INDEX feedback_submitted_by ON feedback (submitted_by, created_at);
CREATE INDEX feedback_modified_at ON feedback (modified_at);
-- Covers the statistics' GROUP BYs, so they read the index alone.
CREATE INDEX feedback_stats ON feedback (service_code, org_id, status, due_at, rating,
    first_answered_at, resolved_at, created_at, created_month);

CREATE TABLE feedback_contacts (
    feedback_id TEXT NOT NULL PRIMARY KEY REFERENCES feedback (id),
    contact     TEXT NOT NULL
);

-- The public history of an item: every step, with the state after it and a public note.
CREATE TABLE feedback_events (
    id          TEXT    NOT NULL PRIMARY KEY,
    feedback_id TEXT    NOT NULL REFERENCES feedback (id),
    kind        TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    note        TEXT    NOT NULL,
    org_id      TEXT    NOT NULL REFERENCES organizations (id),
    actor_id    TEXT    REFERENCES users (id),
    created_at  BIGINT  NOT NULL
);
CREATE INDEX feedback_events_feedback ON feedback_events (feedback_id, created_at);
CREATE INDEX feedback_events_created_at ON feedback_events (created_at);

-- Photos, re-encoded without metadata; the files are in the data directory.
CREATE TABLE feedback_photos (
    id          TEXT    NOT NULL PRIMARY KEY,
    feedback_id TEXT    NOT NULL REFERENCES feedback (id),
    position    BIGINT  NOT NULL,
    media_type  TEXT    NOT NULL,
    width       BIGINT  NOT NULL,
    height      BIGINT  NOT NULL,
    bytes       BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX feedback_photos_feedback ON feedback_photos (feedback_id, position);
