-- 0042_log_archives: log retention (issue 16; src/admin/retention.c).
--
-- log_archive is the manifest of every archive file the retention engine
-- wrote: which log and organisation, where the file is (relative to the
-- archive directory), how many rows, the first and last id and time, the
-- file's size and SHA-256. status 'written': the file is on disk, fsync'd
-- and recorded, its rows not yet all removed (removed counts those gone,
-- batch by batch, each batch in the transaction that removes it); 'done':
-- every archived row is gone. A run finds a 'written' archive first and
-- finishes it, so a crash between the steps neither loses a row that is
-- not in a verified file nor archives a row twice.
--
-- For the activity log, cut_seq and cut_hash are the chain's last archived
-- row, and checkpoint the signed checkpoint at that row (the format of
-- `atrium audit checkpoint`), so the archive verifies against it.
--
-- audit_cut is where an organisation's activity chain now starts: the seq
-- and MAC of the last removed row, with a MAC of its own (like the head's),
-- moved forward in each batch's transaction. `atrium audit verify` walks
-- the remaining rows from it.
CREATE TABLE log_archive (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	log TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('written', 'done')),
	path TEXT NOT NULL UNIQUE,
	row_count INTEGER NOT NULL,
	first_id INTEGER NOT NULL,
	last_id INTEGER NOT NULL,
	first_at TEXT NOT NULL,
	last_at TEXT NOT NULL,
	cutoff TEXT NOT NULL,
	bytes INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	removed INTEGER NOT NULL DEFAULT 0,
	cut_seq INTEGER,
	cut_hash TEXT,
	checkpoint TEXT,
	created_at TEXT NOT NULL,
	finished_at TEXT
);
CREATE INDEX log_archive_org ON log_archive(org_id, log, id);
CREATE INDEX log_archive_written ON log_archive(org_id, log) WHERE status = 'written';

CREATE TABLE audit_cut (
	org_id INTEGER PRIMARY KEY,
	seq INTEGER NOT NULL,
	hash TEXT NOT NULL,
	mac TEXT NOT NULL,
	at TEXT NOT NULL
);
