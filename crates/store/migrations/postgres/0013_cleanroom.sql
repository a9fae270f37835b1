-- The fusion clean room (C6). The same tables in ../sqlite/0013_cleanroom.sql.
--
-- `cleanroom_policies` keeps each dataset's clean-room policy as its owner declared it (the JSON
-- of model::cleanroom::Policy). A clean room is one application per dataset, each reviewed by
-- its owner like any application, tied together by `cleanroom_parts`; the clean room carries
-- the ε budget, in millionths, and what has been spent of it, which only grows, by one
-- conditional update per query.
CREATE TABLE cleanroom_policies (
    dataset_id  TEXT    NOT NULL PRIMARY KEY REFERENCES datasets (id),
    policy      TEXT    NOT NULL,
    updated_by  TEXT    NOT NULL REFERENCES users (id),
    updated_at  BIGINT NOT NULL
);
CREATE TABLE cleanrooms (
    id                TEXT    NOT NULL PRIMARY KEY,
    title             TEXT    NOT NULL,
    applicant_id      TEXT    NOT NULL REFERENCES users (id),
    applicant_org_id  TEXT    REFERENCES organizations (id),
    budget_micros     BIGINT NOT NULL CHECK (budget_micros > 0),
    spent_micros      BIGINT NOT NULL DEFAULT 0 CHECK (spent_micros >= 0 AND spent_micros <= budget_micros),
    queries           BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL
);
CREATE TABLE cleanroom_parts (
    application_id  TEXT    NOT NULL PRIMARY KEY REFERENCES applications (id),
    cleanroom_id    TEXT    NOT NULL REFERENCES cleanrooms (id),
    dataset_id      TEXT    NOT NULL REFERENCES datasets (id),
    position        BIGINT NOT NULL,
    UNIQUE (cleanroom_id, dataset_id)
);
CREATE INDEX cleanrooms_applicant ON cleanrooms (applicant_id);
CREATE INDEX cleanrooms_applicant_org ON cleanrooms (applicant_org_id);
