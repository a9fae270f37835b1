-- Failed sign-ins per account and per client address (login throttling), kept in the database so
-- that every server behind a load balancer counts the same attempts. A row counts the failures
-- since `since` (Unix milliseconds); once its window has passed it counts from one again. The same
-- table in ../postgres/0016_login_failures.sql.
CREATE TABLE login_failures (
    key      TEXT    NOT NULL PRIMARY KEY,
    failures INTEGER NOT NULL,
    since    INTEGER NOT NULL
) STRICT;
CREATE INDEX login_failures_since ON login_failures (since);
