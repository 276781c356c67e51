-- 0046_gdpr: the register of GDPR rights requests (issue 15; src/admin/gdpr*.c).
--
-- gdpr_request is a registry entity (its list, form, history, events and
-- permission row `gdpr` are the records engine's). deadline is derived
-- from received_on (+30 days) on every write; warned_at marks the one
-- in-app warning sent when the deadline is 7 days away. export_* and
-- erased_at/erase_summary are written by the request's own actions
-- (POST /api/v1/gdpr/{id}/export, /erase).
--
-- gdpr_export holds the one zip an access/portability request produced
-- (made by the job runner), until the request is deleted.

CREATE TABLE gdpr_request (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	type TEXT NOT NULL,
	subject_email TEXT NOT NULL,
	received_on TEXT,
	deadline TEXT,
	status TEXT NOT NULL DEFAULT 'received',
	handled_by INTEGER REFERENCES staff(id),
	notes TEXT,
	processed_at TEXT,
	warned_at TEXT,
	export_status TEXT,
	export_at TEXT,
	erased_at TEXT,
	erase_summary TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	cf TEXT,
	cf_search TEXT
);
CREATE VIRTUAL TABLE gdpr_request_fts USING fts5(subject_email, cf_search,
	content='gdpr_request', content_rowid='id', tokenize='trigram');
CREATE TRIGGER gdpr_request_fts_insert AFTER INSERT ON gdpr_request BEGIN
	INSERT INTO gdpr_request_fts (rowid, subject_email, cf_search)
		VALUES (new.id, new.subject_email, new.cf_search);
END;
CREATE TRIGGER gdpr_request_fts_delete AFTER DELETE ON gdpr_request BEGIN
	INSERT INTO gdpr_request_fts (gdpr_request_fts, rowid, subject_email, cf_search)
		VALUES ('delete', old.id, old.subject_email, old.cf_search);
END;
CREATE TRIGGER gdpr_request_fts_update AFTER UPDATE OF subject_email, cf_search ON gdpr_request BEGIN
	INSERT INTO gdpr_request_fts (gdpr_request_fts, rowid, subject_email, cf_search)
		VALUES ('delete', old.id, old.subject_email, old.cf_search);
	INSERT INTO gdpr_request_fts (rowid, subject_email, cf_search)
		VALUES (new.id, new.subject_email, new.cf_search);
END;
CREATE INDEX gdpr_request_org ON gdpr_request(org_id, id);
CREATE INDEX gdpr_request_due ON gdpr_request(deadline)
	WHERE warned_at IS NULL AND status IN ('received', 'in_progress');

CREATE TABLE gdpr_export (
	request_id INTEGER PRIMARY KEY REFERENCES gdpr_request(id) ON DELETE CASCADE,
	org_id INTEGER NOT NULL REFERENCES org(id),
	data BLOB NOT NULL,
	bytes INTEGER NOT NULL,
	created_at TEXT NOT NULL
);
