-- 0043_backups: backups of the whole database (src/admin/backup*.c,
-- docs/internals/backup.md).
--
-- backup_run: one row per backup the server made or was asked to make
-- ("Back up now", the schedule, "Backup before import"). A backup covers
-- every organisation, so the rows are the instance's, not an
-- organisation's; org_id names the organisation whose activity log
-- records the run. The file lives on the node that wrote it (node).
-- status: queued, running, done, failed; removed_at: retention (or a
-- missing file) took the file away, the row stays as history.
--
-- via: 'server' (a job of atrium serve; its file is in the schedule's
-- directory, served by the download route and subject to retention) or
-- 'cli' (`atrium backup --out FILE`: the operator's file, never removed or
-- served).
--
-- backup_schedule: one row (id 1), the schedule of the whole instance.

CREATE TABLE backup_run (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	kind TEXT NOT NULL CHECK (kind IN ('manual', 'scheduled', 'pre_import')),
	status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
	via TEXT NOT NULL DEFAULT 'server' CHECK (via IN ('server', 'cli')),
	requested_by INTEGER,
	job_id INTEGER,
	file TEXT,
	bytes INTEGER,
	sha256 TEXT,
	schema_version TEXT,
	node TEXT,
	error TEXT,
	created_at TEXT NOT NULL,
	started_at TEXT,
	finished_at TEXT,
	removed_at TEXT
);
CREATE INDEX backup_run_good ON backup_run (status, finished_at);
CREATE INDEX backup_run_kind ON backup_run (kind, id);

CREATE TABLE backup_schedule (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	enabled INTEGER NOT NULL DEFAULT 0,
	interval_hours INTEGER NOT NULL DEFAULT 24,
	directory TEXT NOT NULL DEFAULT './var/backups',
	keep INTEGER NOT NULL DEFAULT 7,
	version INTEGER NOT NULL DEFAULT 1,
	updated_by INTEGER,
	updated_at TEXT
);
INSERT INTO backup_schedule (id) VALUES (1);
