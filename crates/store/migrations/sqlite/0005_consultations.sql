-- Policy consultations (DESIGN.md C11), SQLite flavour. Keep in step with
-- ../postgres/0005_consultations.sql: the two differ only in column types.
-- Enterprises carry ownership, size and industry (for the participation statistics); other
-- organizations leave them empty.
ALTER TABLE organizations ADD COLUMN ownership TEXT;
ALTER TABLE organizations ADD COLUMN size TEXT;
ALTER TABLE organizations ADD COLUMN industry TEXT;

-- A consultation's phase follows from its dates and result_published_at. Counts are kept on the
-- row in the same transaction as the rows they count.
CREATE TABLE consultations (
    id                  TEXT    NOT NULL PRIMARY KEY,
    org_id              TEXT    NOT NULL REFERENCES organizations (id),
    title               TEXT    NOT NULL,
    summary             TEXT    NOT NULL,
    audience            TEXT    NOT NULL,
    opens_at            INTEGER NOT NULL,
    closes_at           INTEGER NOT NULL,
    short_reason        TEXT,
    answers_due_at      INTEGER NOT NULL,
    result_summary      TEXT,
    result_published_at INTEGER,
    -- When the close was written to the access log (it happens by the clock, and is logged by
    -- the first request that finds the consultation closed).
    close_logged_at     INTEGER,
    comment_count       INTEGER NOT NULL,
    created_by          TEXT    NOT NULL REFERENCES users (id),
    created_at          INTEGER NOT NULL,
    modified_at         INTEGER NOT NULL
) STRICT;
CREATE INDEX consultations_closes ON consultations (closes_at);
CREATE INDEX consultations_org ON consultations (org_id, created_at);

-- Attachments (PDF) of a draft; the files are kept under <data dir>/attachments/.
CREATE TABLE consultation_attachments (
    id              TEXT    NOT NULL PRIMARY KEY,
    consultation_id TEXT    NOT NULL REFERENCES consultations (id),
    name            TEXT    NOT NULL,
    byte_size       INTEGER NOT NULL,
    sha256          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX consultation_attachments_of ON consultation_attachments (consultation_id, created_at);

CREATE TABLE consultation_articles (
    consultation_id TEXT    NOT NULL REFERENCES consultations (id),
    number          INTEGER NOT NULL,
    heading         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    PRIMARY KEY (consultation_id, number)
) STRICT;

-- A comment on the whole draft (article NULL) or one article. The commenter's kind and, for
-- enterprises, ownership and size are kept as they were when the comment was made, so the
-- statistics do not change when an organization record does.
CREATE TABLE consultation_comments (
    id              TEXT    NOT NULL PRIMARY KEY,
    consultation_id TEXT    NOT NULL REFERENCES consultations (id),
    article         INTEGER,
    user_id         TEXT    NOT NULL REFERENCES users (id),
    participant     TEXT    NOT NULL,
    ownership       TEXT,
    size            TEXT,
    stance          TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    support_count   INTEGER NOT NULL,
    withdrawn       INTEGER NOT NULL,
    hidden_reason   TEXT,
    hidden_by       TEXT,
    adoption        TEXT,
    answer          TEXT,
    answered_by     TEXT,
    answered_at     INTEGER,
    created_at      INTEGER NOT NULL,
    modified_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX consultation_comments_of ON consultation_comments (consultation_id, created_at);
CREATE INDEX consultation_comments_user ON consultation_comments (user_id, created_at);

CREATE TABLE consultation_comment_supports (
    comment_id TEXT    NOT NULL REFERENCES consultation_comments (id),
    user_id    TEXT    NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (comment_id, user_id)
) STRICT;
