-- A reported result (成果) accepted by the dataset's owning organization or the authority,
-- SQLite flavour; the same in ../postgres/0010_result_acceptance.sql. Acceptance is what earns
-- the reporter the result_accepted points (C12); it is set once and never cleared.
ALTER TABLE reuses ADD COLUMN accepted_at INTEGER;
ALTER TABLE reuses ADD COLUMN accepted_by TEXT;
