-- 0045: SQLite's view_own indexes on often-empty columns become partial
-- (migrations/sqlite/0045). PostgreSQL's statistics keep a NULL fraction,
-- so its planner already estimates `assigned_to = $1` right: nothing to do.
SELECT 1;
