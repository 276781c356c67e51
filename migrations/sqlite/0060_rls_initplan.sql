-- PostgreSQL's row-level security policies read their setting once per
-- statement (migrations/pg/0060). SQLite has no policies: nothing to change.
SELECT 1;
