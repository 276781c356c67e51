-- Row-level security is PostgreSQL's (migrations/pg/0057): one SQLite file
-- is one process's, with no other role to hold apart. Nothing to change.
SELECT 1;
