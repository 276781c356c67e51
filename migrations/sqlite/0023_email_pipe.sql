-- 0023_email_pipe: inbound email into tickets (`atrium pipe`, issue 12).
-- A department says whether mail from senders who are not contacts opens
-- a ticket (unknown_senders: open_ticket, the default, or reject); a
-- reply that came by email names its contact; pipe_message remembers the
-- Message-IDs taken (a mail server's retry is ignored, and a reply's
-- In-Reply-To finds its ticket); pipe_log is the Utilities > Pipe log
-- screen: every message with its result.

ALTER TABLE department ADD COLUMN unknown_senders TEXT DEFAULT 'open_ticket';
ALTER TABLE ticket_reply ADD COLUMN contact_id INTEGER REFERENCES contact(id) ON DELETE SET NULL;
ALTER TABLE ticket_reply ADD COLUMN source TEXT NOT NULL DEFAULT 'staff';

CREATE TABLE pipe_message (
	org_id INTEGER NOT NULL REFERENCES org(id),
	message_id TEXT NOT NULL,
	ticket_id INTEGER NOT NULL REFERENCES ticket(id) ON DELETE CASCADE,
	PRIMARY KEY (org_id, message_id)
);
CREATE INDEX pipe_message_ticket ON pipe_message(ticket_id);

CREATE TABLE pipe_log (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	received_at TEXT NOT NULL,
	message_id TEXT,
	from_addr TEXT,
	to_addr TEXT,
	subject TEXT,
	result TEXT NOT NULL,
	detail TEXT,
	ticket_id INTEGER,
	bytes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX pipe_log_org ON pipe_log(org_id, id);
CREATE INDEX pipe_log_result ON pipe_log(org_id, result, id);
