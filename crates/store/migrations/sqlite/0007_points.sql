-- Points, rewards and redemptions (DESIGN.md C12), SQLite flavour. Keep in step with
-- ../postgres/0007_points.sql: the two differ only in column types.

-- The authority's configuration of a rule; a rule without a row has its default.
CREATE TABLE points_rules (
    rule        TEXT    NOT NULL PRIMARY KEY,
    points      INTEGER NOT NULL,
    daily_cap   INTEGER,
    enabled     INTEGER NOT NULL,
    modified_at INTEGER NOT NULL
) STRICT;

-- One row per user with points. Every change to a user's ledger first updates this row, so
-- changes of one user run one at a time on both databases (the row lock in PostgreSQL, the
-- write lock in SQLite), and a balance read inside the change is the balance the change sees.
-- `public` and `display_name` are the user's choice for the leaderboard.
CREATE TABLE points_accounts (
    user_id      TEXT    NOT NULL PRIMARY KEY REFERENCES users (id),
    changes      INTEGER NOT NULL,
    public       INTEGER NOT NULL,
    display_name TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;

-- The append-only ledger. A credit is keyed by (user, rule, object) and so granted once; a
-- reversal, a spend and a refund likewise (the rule of a spend or refund is `redemption`, its
-- object the redemption). Nothing here is updated or deleted. `day` is the China Standard Time
-- day number, for daily caps.
CREATE TABLE points_entries (
    id         TEXT   NOT NULL PRIMARY KEY,
    user_id    TEXT   NOT NULL REFERENCES points_accounts (user_id),
    kind       TEXT   NOT NULL,
    rule       TEXT   NOT NULL,
    object     TEXT   NOT NULL,
    points     INTEGER NOT NULL CHECK (points > 0),
    day        INTEGER NOT NULL,
    expires_at INTEGER,
    note       TEXT   NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, kind, rule, object)
) STRICT;
CREATE INDEX points_entries_user ON points_entries (user_id, created_at);
CREATE INDEX points_entries_day ON points_entries (user_id, rule, day);

-- Rewards. `stock` is what is left; `total` what was ever put in (stock plus redemptions not
-- cancelled equals it).
CREATE TABLE rewards (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    name_en     TEXT    NOT NULL,
    description TEXT    NOT NULL,
    cost        INTEGER NOT NULL CHECK (cost > 0),
    stock       INTEGER NOT NULL CHECK (stock >= 0),
    total       INTEGER NOT NULL,
    per_user    INTEGER NOT NULL,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    modified_at INTEGER NOT NULL
) STRICT;

-- A redemption, with the code the user shows to collect the reward. `log_index` is the access
-- log leaf that records it, filled once the leaf is appended.
CREATE TABLE redemptions (
    id            TEXT   NOT NULL PRIMARY KEY,
    reward_id     TEXT   NOT NULL REFERENCES rewards (id),
    user_id       TEXT   NOT NULL REFERENCES points_accounts (user_id),
    code          TEXT   NOT NULL UNIQUE,
    points        INTEGER NOT NULL,
    status        TEXT   NOT NULL,
    cancel_reason TEXT,
    log_index     INTEGER,
    created_at    INTEGER NOT NULL,
    cancelled_at  INTEGER
) STRICT;
CREATE INDEX redemptions_user ON redemptions (user_id, reward_id);
CREATE INDEX redemptions_reward ON redemptions (reward_id, created_at);
