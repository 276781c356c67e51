-- 0049_record_retention: record retention rules (issue 15, GDPR storage
-- limitation, Art. 5(1)(e); src/gdpr/record_retention*.c). Not the log
-- retention of 0042 (log archives): these rules remove CRM records.
--
-- retention_rule is a registry entity (its list, form, history, events,
-- If-Match and Idempotency-Key are the records engine's, permission row
-- `retention_rules`). A rule names an entity (the registry's name,
-- "lead"), a condition (no activity for `amount` `unit`s, plus an
-- optional `filter` in the entity's list language), an action (delete or
-- anonymise), `enabled` and `max_per_run`. confirmed_version is the
-- version an administrator confirmed after a preview: the scheduler runs a
-- rule only while it equals version (any change asks for a new
-- confirmation). last_run_at is the last run's start.
--
-- retention_run is the history of runs: what started it, when, how far it
-- got (removed and refused are committed with each batch, so a run that
-- died continues where it stopped), the refusals (JSON: [{id, title,
-- reason}], at most 100), its error; last_id is the highest id a batch
-- reached (the next batch starts after it: a refused record is not
-- tried twice in one run).

CREATE TABLE retention_rule (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	name TEXT NOT NULL,
	entity TEXT NOT NULL,
	amount INTEGER NOT NULL,
	unit TEXT NOT NULL DEFAULT 'years',
	filter TEXT,
	action TEXT NOT NULL DEFAULT 'delete',
	enabled INTEGER NOT NULL DEFAULT 0,
	max_per_run INTEGER,
	notes TEXT,
	confirmed_version INTEGER,
	confirmed_at TEXT,
	last_run_at TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	cf TEXT,
	cf_search TEXT
);
CREATE VIRTUAL TABLE retention_rule_fts USING fts5(name, cf_search,
	content='retention_rule', content_rowid='id', tokenize='trigram');
CREATE TRIGGER retention_rule_fts_insert AFTER INSERT ON retention_rule BEGIN
	INSERT INTO retention_rule_fts (rowid, name, cf_search)
		VALUES (new.id, new.name, new.cf_search);
END;
CREATE TRIGGER retention_rule_fts_delete AFTER DELETE ON retention_rule BEGIN
	INSERT INTO retention_rule_fts (retention_rule_fts, rowid, name, cf_search)
		VALUES ('delete', old.id, old.name, old.cf_search);
END;
CREATE TRIGGER retention_rule_fts_update AFTER UPDATE OF name, cf_search ON retention_rule BEGIN
	INSERT INTO retention_rule_fts (retention_rule_fts, rowid, name, cf_search)
		VALUES ('delete', old.id, old.name, old.cf_search);
	INSERT INTO retention_rule_fts (rowid, name, cf_search)
		VALUES (new.id, new.name, new.cf_search);
END;
CREATE INDEX retention_rule_org ON retention_rule(org_id, id);
CREATE INDEX retention_rule_due ON retention_rule(org_id, id) WHERE enabled = 1;

CREATE TABLE retention_run (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	rule_id INTEGER NOT NULL REFERENCES retention_rule(id) ON DELETE CASCADE,
	rule_version INTEGER NOT NULL,
	origin TEXT NOT NULL,
	requested_by INTEGER,
	status TEXT NOT NULL,
	cutoff TEXT NOT NULL,
	created_at TEXT NOT NULL,
	started_at TEXT,
	finished_at TEXT,
	last_id INTEGER NOT NULL DEFAULT 0,
	removed INTEGER NOT NULL DEFAULT 0,
	refused INTEGER NOT NULL DEFAULT 0,
	refusals TEXT,
	error TEXT
);
CREATE INDEX retention_run_rule ON retention_run(org_id, rule_id, id);
CREATE INDEX retention_run_open ON retention_run(rule_id) WHERE status IN ('queued', 'running');
