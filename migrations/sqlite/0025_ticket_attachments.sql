-- 0025_ticket_attachments: files on tickets (issue 12), uploaded by staff
-- or kept from inbound email by the pipe. The bytes live here with their
-- SHA-256; they go with their ticket. Served only as downloads
-- (src/entity/ticket_attach.c).
CREATE TABLE ticket_attachment (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	ticket_id INTEGER NOT NULL REFERENCES ticket(id) ON DELETE CASCADE,
	reply_id INTEGER REFERENCES ticket_reply(id) ON DELETE SET NULL,
	filename TEXT NOT NULL,
	content_type TEXT NOT NULL,
	bytes INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	data BLOB NOT NULL,
	staff_id INTEGER REFERENCES staff(id) ON DELETE SET NULL,
	contact_id INTEGER REFERENCES contact(id) ON DELETE SET NULL,
	created_at TEXT NOT NULL
);
CREATE INDEX ticket_attachment_ticket ON ticket_attachment(org_id, ticket_id, id);
