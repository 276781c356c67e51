-- SQLite's record tables made after its 0006 get AUTOINCREMENT
-- (migrations/sqlite/0061). PostgreSQL's identity columns never hand out a
-- value twice: nothing to change.
SELECT 1;
