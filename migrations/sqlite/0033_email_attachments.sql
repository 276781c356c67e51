-- 0033_email_attachments: files sent with a queued message (an invoice's
-- PDF; src/email/queue.c email_enqueue_files). Stored with the message in
-- the transaction that queues it, so what was sent is what was decided;
-- deliver.c reads them back for each attempt. They go with their message.

CREATE TABLE email_attachment (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	email_id INTEGER NOT NULL REFERENCES email_queue(id) ON DELETE CASCADE,
	org_id INTEGER NOT NULL REFERENCES org(id),
	position INTEGER NOT NULL,
	name TEXT NOT NULL,
	type TEXT NOT NULL,
	data BLOB NOT NULL,
	UNIQUE (email_id, position)
);
