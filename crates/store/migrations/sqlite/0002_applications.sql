-- Applications, agreements and grants (DESIGN.md C4), SQLite flavour. Keep in step with
-- ../postgres/0002_applications.sql: the two differ only in column types.
-- Terms are JSON text; statuses, steps, purposes and kinds are their stable codes. As in
-- 0001_initial.sql the foreign keys do not cascade: the store deletes children explicitly
-- (see `delete_dataset`), so a forgotten table fails loudly instead of leaving orphans.

-- The data-use agreement, one row per version; its text never changes once stored.
CREATE TABLE agreements (
    version    INTEGER NOT NULL PRIMARY KEY,
    text       TEXT    NOT NULL,
    sha256     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- Reviewers (department_reviewer, authority_reviewer) are not foreign keys: they record who
-- acted. grant_id is not one either, because grants refer to their application; the store sets
-- both in one transaction.
CREATE TABLE applications (
    id                     TEXT    NOT NULL PRIMARY KEY,
    applicant_id           TEXT    NOT NULL REFERENCES users (id),
    applicant_org_id       TEXT    REFERENCES organizations (id),
    dataset_id             TEXT    NOT NULL REFERENCES datasets (id),
    requested              TEXT    NOT NULL,
    approved               TEXT    NOT NULL,
    purpose_category       TEXT    NOT NULL,
    purpose                TEXT    NOT NULL,
    scenario               TEXT    NOT NULL,
    agreement_version      INTEGER REFERENCES agreements (version),
    agreement_sha256       TEXT,
    status                 TEXT    NOT NULL,
    step                   TEXT,
    needs_authority        INTEGER NOT NULL,
    department_reviewer    TEXT,
    department_reviewed_at INTEGER,
    authority_reviewer     TEXT,
    authority_reviewed_at  INTEGER,
    rejection_reason       TEXT,
    review_note            TEXT,
    grant_id               TEXT,
    created_at             INTEGER NOT NULL,
    submitted_at           INTEGER,
    decided_at             INTEGER
) STRICT;
CREATE INDEX applications_applicant_id ON applications (applicant_id, created_at);
CREATE INDEX applications_dataset_id ON applications (dataset_id, created_at);
CREATE INDEX applications_status ON applications (status, step, created_at);

-- The grantee is a kind (`user` or `org`) and an id, so that a holder's grants are one indexed
-- lookup on both backends.
CREATE TABLE grants (
    id                 TEXT    NOT NULL PRIMARY KEY,
    application_id     TEXT    NOT NULL REFERENCES applications (id),
    dataset_id         TEXT    NOT NULL REFERENCES datasets (id),
    grantee_kind       TEXT    NOT NULL,
    grantee_id         TEXT    NOT NULL,
    terms              TEXT    NOT NULL,
    l4_masked_approved INTEGER NOT NULL,
    privacy_budget     REAL,
    valid_from         INTEGER NOT NULL,
    valid_until        INTEGER NOT NULL,
    revoked_at         INTEGER,
    revoked_by         TEXT,
    revoke_reason      TEXT,
    created_at         INTEGER NOT NULL,
    CONSTRAINT grants_application_id_key UNIQUE (application_id)
) STRICT;
CREATE INDEX grants_dataset_id ON grants (dataset_id, created_at);
CREATE INDEX grants_grantee ON grants (grantee_kind, grantee_id, created_at);

-- Rows delivered under a grant per day (days since the Unix epoch, as the caller counts them).
CREATE TABLE grant_usage (
    grant_id TEXT    NOT NULL REFERENCES grants (id),
    day      INTEGER NOT NULL,
    rows     INTEGER NOT NULL,
    PRIMARY KEY (grant_id, day)
) STRICT;

-- Reported results (成果). created_by records who reported, like versions.created_by.
CREATE TABLE reuses (
    id          TEXT    NOT NULL PRIMARY KEY,
    grant_id    TEXT    NOT NULL REFERENCES grants (id),
    dataset_id  TEXT    NOT NULL REFERENCES datasets (id),
    kind        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL,
    url         TEXT,
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX reuses_dataset_id ON reuses (dataset_id, created_at);
CREATE INDEX reuses_created_at ON reuses (created_at);
CREATE INDEX reuses_grant_id ON reuses (grant_id);
