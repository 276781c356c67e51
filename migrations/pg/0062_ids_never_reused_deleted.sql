-- SQLite's record tables raise their AUTOINCREMENT counters past the ids
-- their deleted records held (migrations/sqlite/0062). PostgreSQL's identity
-- columns never hand out a value twice: nothing to change.
SELECT 1;
