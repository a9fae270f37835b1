-- Feedback lists of one department in one state (its queue, its overdue items), PostgreSQL
-- flavour; the same in ../sqlite/0009_feedback_department.sql. Read in created_at order within
-- the department and the state, such a page stops at its end instead of reading the department's
-- items of every state (bench/RESULTS.md, feedback at scale).
CREATE INDEX feedback_org_status ON feedback (org_id, status, created_at);
