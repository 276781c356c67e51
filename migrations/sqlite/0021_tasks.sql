-- 0021_tasks: the task entity (issue 12): work with a due date, assigned
-- to a member, optionally about another record (rel_type, rel_id). Indexes
-- for "my tasks" (assignee), overdue ones (due_date) and the tasks of a
-- record (rel_type, rel_id); its search index over the subject then
-- cf_search.

CREATE TABLE task (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	subject TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'not_started',
	priority TEXT NOT NULL DEFAULT 'medium',
	start_date TEXT,
	due_date TEXT,
	assigned_to INTEGER REFERENCES staff(id),
	owner_id INTEGER REFERENCES staff(id),
	rel_type TEXT,
	rel_id INTEGER,
	description TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	cf TEXT,
	cf_search TEXT
);
CREATE INDEX task_org ON task(org_id, id);
CREATE INDEX task_assigned ON task(org_id, assigned_to);
CREATE INDEX task_owner ON task(org_id, owner_id);
CREATE INDEX task_due ON task(org_id, due_date);
CREATE INDEX task_rel ON task(org_id, rel_type, rel_id);
CREATE VIRTUAL TABLE task_fts USING fts5(subject, cf_search, content='task',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER task_fts_insert AFTER INSERT ON task BEGIN
	INSERT INTO task_fts (rowid, subject, cf_search) VALUES (new.id, new.subject, new.cf_search);
END;
CREATE TRIGGER task_fts_delete AFTER DELETE ON task BEGIN
	INSERT INTO task_fts (task_fts, rowid, subject, cf_search)
		VALUES ('delete', old.id, old.subject, old.cf_search);
END;
CREATE TRIGGER task_fts_update AFTER UPDATE OF subject, cf_search ON task BEGIN
	INSERT INTO task_fts (task_fts, rowid, subject, cf_search)
		VALUES ('delete', old.id, old.subject, old.cf_search);
	INSERT INTO task_fts (rowid, subject, cf_search) VALUES (new.id, new.subject, new.cf_search);
END;
