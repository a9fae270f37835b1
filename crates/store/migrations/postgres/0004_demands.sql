-- Data demands (DESIGN.md C8), PostgreSQL flavour. Keep in step with ../sqlite/0004_demands.sql:
-- the two differ only in column types (BIGINT and BOOLEAN here).
-- A demand targets a department (target_org_id) or a theme (target_theme), never both. Wanted
-- fields are JSON text; statuses, purposes and reasons are their stable codes. Counts of
-- supports and comments are kept on the demand, in the same transaction as the rows they count,
-- so lists sort by support without a join.
CREATE TABLE demands (
    id                   TEXT    NOT NULL PRIMARY KEY,
    title                TEXT    NOT NULL,
    description          TEXT    NOT NULL,
    fields               TEXT    NOT NULL,
    purpose_category     TEXT    NOT NULL,
    target_org_id        TEXT    REFERENCES organizations (id),
    target_theme         TEXT,
    extends_dataset_id   TEXT    REFERENCES datasets (id),
    created_by           TEXT    NOT NULL REFERENCES users (id),
    created_by_org_id    TEXT    REFERENCES organizations (id),
    enterprise           BOOLEAN NOT NULL,
    status               TEXT    NOT NULL,
    due_at               BIGINT  NOT NULL,
    planned_at           BIGINT,
    rejection_reason     TEXT,
    answer               TEXT,
    answered_by          TEXT,
    answered_at          BIGINT,
    fulfilled_dataset_id TEXT    REFERENCES datasets (id),
    fulfilled_grant_id   TEXT    REFERENCES grants (id),
    fulfilled_at         BIGINT,
    merged_into          TEXT    REFERENCES demands (id),
    support_count        BIGINT  NOT NULL,
    comment_count        BIGINT  NOT NULL,
    created_at           BIGINT  NOT NULL,
    modified_at          BIGINT  NOT NULL
);
CREATE INDEX demands_status ON demands (status, due_at);
CREATE INDEX demands_target_org ON demands (target_org_id, created_at);
CREATE INDEX demands_created_by ON demands (created_by, created_at);
CREATE INDEX demands_created_at ON demands (created_at);
CREATE INDEX demands_support_count ON demands (support_count, created_at);
-- Covers the statistics' GROUP BYs, so they read the index alone, in group order.
CREATE INDEX demands_stats ON demands (target_org_id, target_theme, status, enterprise,
    support_count, due_at, answered_at, created_at);

-- One support per user and demand.
CREATE TABLE demand_supports (
    demand_id  TEXT    NOT NULL REFERENCES demands (id),
    user_id    TEXT    NOT NULL REFERENCES users (id),
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (demand_id, user_id)
);
CREATE INDEX demand_supports_user ON demand_supports (user_id, created_at);

CREATE TABLE demand_comments (
    id         TEXT    NOT NULL PRIMARY KEY,
    demand_id  TEXT    NOT NULL REFERENCES demands (id),
    user_id    TEXT    NOT NULL REFERENCES users (id),
    body       TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX demand_comments_demand ON demand_comments (demand_id, created_at);
CREATE INDEX demand_comments_user ON demand_comments (user_id, created_at);

-- The public history of a demand: filed, answered, transferred, merged, fulfilled. The detail is
-- JSON text of what the event changed; the actor is who acted (a user id).
CREATE TABLE demand_events (
    id         TEXT    NOT NULL PRIMARY KEY,
    demand_id  TEXT    NOT NULL REFERENCES demands (id),
    kind       TEXT    NOT NULL,
    actor_id   TEXT,
    detail     TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX demand_events_demand ON demand_events (demand_id, created_at);
