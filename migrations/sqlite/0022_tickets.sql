-- 0022_tickets: the ticket entity and its thread (issue 12). A ticket
-- belongs to a department (view_own: a member's departments' tickets are
-- theirs), may name a contact and a client, and has a status, a priority
-- and an assignee; its replies (staff replies and internal notes) are
-- ticket_reply rows, removed with their ticket, that keep their author's
-- name when the member is deleted. Its search index over the subject then
-- cf_search.

CREATE TABLE ticket (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	subject TEXT NOT NULL,
	department_id INTEGER REFERENCES department(id),
	contact_id INTEGER REFERENCES contact(id),
	client_id INTEGER REFERENCES client(id),
	priority TEXT NOT NULL DEFAULT 'medium',
	status TEXT NOT NULL DEFAULT 'open',
	assigned_to INTEGER REFERENCES staff(id),
	owner_id INTEGER REFERENCES staff(id),
	message TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	cf TEXT,
	cf_search TEXT
);
CREATE INDEX ticket_org ON ticket(org_id, id);
CREATE INDEX ticket_status ON ticket(org_id, status);
CREATE INDEX ticket_department ON ticket(org_id, department_id);
CREATE INDEX ticket_contact ON ticket(org_id, contact_id);
CREATE INDEX ticket_client ON ticket(org_id, client_id);
CREATE INDEX ticket_assigned ON ticket(org_id, assigned_to);
CREATE INDEX ticket_owner ON ticket(org_id, owner_id);

CREATE TABLE ticket_reply (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	ticket_id INTEGER NOT NULL REFERENCES ticket(id) ON DELETE CASCADE,
	internal INTEGER NOT NULL DEFAULT 0,
	body TEXT NOT NULL,
	author_id INTEGER REFERENCES staff(id) ON DELETE SET NULL,
	author_name TEXT,
	created_at TEXT NOT NULL
);
CREATE INDEX ticket_reply_thread ON ticket_reply(org_id, ticket_id, id);
CREATE VIRTUAL TABLE ticket_fts USING fts5(subject, cf_search, content='ticket',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER ticket_fts_insert AFTER INSERT ON ticket BEGIN
	INSERT INTO ticket_fts (rowid, subject, cf_search) VALUES (new.id, new.subject, new.cf_search);
END;
CREATE TRIGGER ticket_fts_delete AFTER DELETE ON ticket BEGIN
	INSERT INTO ticket_fts (ticket_fts, rowid, subject, cf_search)
		VALUES ('delete', old.id, old.subject, old.cf_search);
END;
CREATE TRIGGER ticket_fts_update AFTER UPDATE OF subject, cf_search ON ticket BEGIN
	INSERT INTO ticket_fts (ticket_fts, rowid, subject, cf_search)
		VALUES ('delete', old.id, old.subject, old.cf_search);
	INSERT INTO ticket_fts (rowid, subject, cf_search) VALUES (new.id, new.subject, new.cf_search);
END;
