-- Activities (数字活动, DESIGN.md C12), SQLite flavour. Keep in step with
-- ../postgres/0008_activities.sql: the two differ only in column types.

-- A campaign the authority runs for a period, with tasks worth points.
CREATE TABLE activities (
    id          TEXT   NOT NULL PRIMARY KEY,
    title       TEXT   NOT NULL,
    title_en    TEXT   NOT NULL,
    description TEXT   NOT NULL,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX activities_period ON activities (starts_at, ends_at);

-- A task: done by an event the platform sees (`kind`, with `target` a service code or a
-- consultation id, empty for any), or by passing a quiz (JSON, with the right answers).
-- Its points are granted once per user, as the ledger's credit (user, activity_task, task id).
CREATE TABLE activity_tasks (
    id          TEXT   NOT NULL PRIMARY KEY,
    activity_id TEXT   NOT NULL REFERENCES activities (id),
    position    INTEGER NOT NULL,
    kind        TEXT   NOT NULL,
    target      TEXT   NOT NULL,
    title       TEXT   NOT NULL,
    points      INTEGER NOT NULL,
    quiz        TEXT
) STRICT;
CREATE INDEX activity_tasks_kind ON activity_tasks (kind, target);

-- Attempts at a quiz, numbered per user: the number is unique, so no user gets past the limit.
CREATE TABLE quiz_attempts (
    id         TEXT    NOT NULL PRIMARY KEY,
    task_id    TEXT    NOT NULL REFERENCES activity_tasks (id),
    user_id    TEXT    NOT NULL REFERENCES users (id),
    attempt    INTEGER  NOT NULL,
    answers    TEXT    NOT NULL,
    score      INTEGER  NOT NULL,
    passed     INTEGER NOT NULL,
    created_at INTEGER  NOT NULL,
    UNIQUE (task_id, user_id, attempt)
) STRICT;
