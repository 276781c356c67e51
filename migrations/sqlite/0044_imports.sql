-- 0044_imports: bulk imports of CSV and xlsx files (issue 15;
-- src/admin/import*.c, docs/internals/import.md).
--
-- import is one upload and its session: the file itself (kept in the
-- database, not on one node's disk, so whichever node runs the job reads
-- it; at most 20 MiB, cleared once the import is written), its header,
-- the column mapping, the duplicate rule, the mode, and the progress the
-- job commits with each batch it writes (rows_done: the rows of the file
-- handled so far, so a job that runs again continues after them).
-- import_error holds the rows the last validation or run refused (row,
-- column, reason). import_row tags every record an import wrote: created
-- or updated, the record's version right after (a revert refuses a
-- record changed since), and for updates the values it had before.

CREATE TABLE import (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	entity TEXT NOT NULL,
	filename TEXT NOT NULL,
	format TEXT NOT NULL,
	bytes INTEGER NOT NULL,
	file BLOB,
	headers TEXT NOT NULL,
	mapping TEXT NOT NULL,
	rows_total INTEGER NOT NULL,
	dup_key TEXT,
	dup_mode TEXT NOT NULL DEFAULT 'create',
	skip_bad INTEGER NOT NULL DEFAULT 0,
	status TEXT NOT NULL,
	rows_done INTEGER NOT NULL DEFAULT 0,
	created_count INTEGER NOT NULL DEFAULT 0,
	updated_count INTEGER NOT NULL DEFAULT 0,
	skipped_count INTEGER NOT NULL DEFAULT 0,
	error_count INTEGER NOT NULL DEFAULT 0,
	error TEXT,
	created_by INTEGER NOT NULL REFERENCES staff(id),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	finished_at TEXT,
	reverted_at TEXT
);
CREATE INDEX import_org ON import(org_id, id);

CREATE TABLE import_error (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	import_id INTEGER NOT NULL REFERENCES import(id) ON DELETE CASCADE,
	row_no INTEGER NOT NULL,
	col TEXT NOT NULL,
	reason TEXT NOT NULL
);
CREATE INDEX import_error_import ON import_error(import_id, id);

CREATE TABLE import_row (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	import_id INTEGER NOT NULL REFERENCES import(id) ON DELETE CASCADE,
	entity TEXT NOT NULL,
	record_id INTEGER NOT NULL,
	action TEXT NOT NULL,
	row_no INTEGER NOT NULL,
	version INTEGER NOT NULL,
	previous TEXT
);
CREATE INDEX import_row_import ON import_row(import_id, id);
