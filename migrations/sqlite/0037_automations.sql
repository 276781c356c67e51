-- 0037_automations: workflow automations (issue 14; src/automation/,
-- docs/internals/automations.md).
--
-- automation is a registry entity (its list, form, history, events and
-- permission row are the records engine's): trigger and conditions are
-- JSON objects, actions a JSON array, all checked by the entity's hook.
-- trigger_entity/trigger_type/next_run_at are derived from trigger on
-- every write so the dispatcher finds an entity's automations by index.
-- paused_at/paused_reason are set when the rate limit stops a runaway
-- automation; enabling it again clears them.
--
-- automation_run is the run history: one row per trigger that matched
-- (or was refused by the loop protection), its conditions' trace, each
-- step's result, and where a waiting run resumes. (automation_id,
-- event_id) is unique: an event handed over twice (at least once) makes
-- one run. automation_fired makes a date rule fire once per record and
-- date, across restarts and nodes. automation_cursor keeps round-robin
-- assignment's last member per automation and step.
--
-- event.cause names the automation run whose change wrote the event
-- ({"automation": id, "run": id, "depth": n}) for the loop protection.
-- lead.priority (an urgent lead, the first standard automation) and
-- department.manager_id (an owner's manager) are new record fields.

CREATE TABLE automation (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	name TEXT NOT NULL,
	description TEXT,
	enabled INTEGER NOT NULL DEFAULT 0,
	trigger TEXT NOT NULL,
	conditions TEXT,
	actions TEXT NOT NULL,
	owner_id INTEGER REFERENCES staff(id),
	allow_retrigger INTEGER NOT NULL DEFAULT 0,
	max_runs_per_hour INTEGER NOT NULL DEFAULT 100,
	trigger_entity TEXT,
	trigger_type TEXT,
	next_run_at TEXT,
	paused_at TEXT,
	paused_reason TEXT,
	last_run_at TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	cf TEXT,
	cf_search TEXT
);
CREATE VIRTUAL TABLE automation_fts USING fts5(name, cf_search, content='automation',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER automation_fts_insert AFTER INSERT ON automation BEGIN
	INSERT INTO automation_fts (rowid, name, cf_search) VALUES (new.id, new.name, new.cf_search);
END;
CREATE TRIGGER automation_fts_delete AFTER DELETE ON automation BEGIN
	INSERT INTO automation_fts (automation_fts, rowid, name, cf_search)
		VALUES ('delete', old.id, old.name, old.cf_search);
END;
CREATE TRIGGER automation_fts_update AFTER UPDATE OF name, cf_search ON automation BEGIN
	INSERT INTO automation_fts (automation_fts, rowid, name, cf_search)
		VALUES ('delete', old.id, old.name, old.cf_search);
	INSERT INTO automation_fts (rowid, name, cf_search) VALUES (new.id, new.name, new.cf_search);
END;
CREATE INDEX automation_org ON automation(org_id, id);
CREATE INDEX automation_trigger ON automation(org_id, trigger_entity, trigger_type) WHERE enabled = 1;
CREATE INDEX automation_due ON automation(next_run_at) WHERE enabled = 1 AND next_run_at IS NOT NULL;
CREATE INDEX automation_owner ON automation(org_id, owner_id, id);

CREATE TABLE automation_run (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	automation_id INTEGER NOT NULL REFERENCES automation(id) ON DELETE CASCADE,
	trigger TEXT NOT NULL CHECK (trigger IN ('event', 'date', 'schedule')),
	entity TEXT,
	record_id INTEGER,
	event_id INTEGER,
	fire_date TEXT,
	depth INTEGER NOT NULL DEFAULT 0,
	status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'waiting', 'done', 'failed', 'skipped', 'stopped')),
	conditions TEXT,
	steps TEXT NOT NULL DEFAULT '[]',
	next_step INTEGER NOT NULL DEFAULT 0,
	error TEXT,
	created_at TEXT NOT NULL,
	started_at TEXT,
	finished_at TEXT
);
CREATE UNIQUE INDEX automation_run_event ON automation_run(automation_id, event_id) WHERE event_id IS NOT NULL;
CREATE INDEX automation_run_auto ON automation_run(automation_id, id);
CREATE INDEX automation_run_record ON automation_run(org_id, entity, record_id, id);
CREATE INDEX automation_run_recent ON automation_run(automation_id, created_at) WHERE status <> 'skipped';
CREATE INDEX automation_run_ended ON automation_run(finished_at);

CREATE TABLE automation_fired (
	automation_id INTEGER NOT NULL REFERENCES automation(id) ON DELETE CASCADE,
	record_id INTEGER NOT NULL,
	fire_date TEXT NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (automation_id, record_id, fire_date)
);

CREATE TABLE automation_cursor (
	automation_id INTEGER NOT NULL REFERENCES automation(id) ON DELETE CASCADE,
	step INTEGER NOT NULL,
	last_staff_id INTEGER NOT NULL,
	PRIMARY KEY (automation_id, step)
);

ALTER TABLE event ADD COLUMN cause TEXT;
ALTER TABLE lead ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent'));
CREATE INDEX lead_priority ON lead(org_id, priority);
ALTER TABLE department ADD COLUMN manager_id INTEGER REFERENCES staff(id) ON DELETE SET NULL;
