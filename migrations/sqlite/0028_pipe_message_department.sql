-- 0028_pipe_message_department: a message sent to several department
-- addresses reaches each of them (issue 12, found by the Postfix test).
-- pipe_message was keyed by (org_id, message_id), so the first copy a mail
-- server delivered opened a ticket and every other department's copy was
-- ignored as "already received": which department got the message was
-- down to delivery order, and on PostgreSQL two copies delivered at once
-- collided on the key (exit 75, the mail deferred for minutes). Now a
-- message is taken once per department address it came to (a new ticket)
-- and once per ticket (a reply, whichever address it came to); both keys
-- are unique, so a concurrent copy finds the other's row and is ignored.
-- Existing rows take their ticket's department.
CREATE TABLE pipe_message_new (
	org_id INTEGER NOT NULL REFERENCES org(id),
	message_id TEXT NOT NULL,
	department_id INTEGER REFERENCES department(id) ON DELETE SET NULL,
	ticket_id INTEGER NOT NULL REFERENCES ticket(id) ON DELETE CASCADE,
	UNIQUE (org_id, message_id, ticket_id),
	UNIQUE (org_id, message_id, department_id)
);
INSERT INTO pipe_message_new (org_id, message_id, department_id, ticket_id)
	SELECT p.org_id, p.message_id, t.department_id, p.ticket_id
	FROM pipe_message p JOIN ticket t ON t.id = p.ticket_id;
DROP TABLE pipe_message;
ALTER TABLE pipe_message_new RENAME TO pipe_message;
CREATE INDEX pipe_message_ticket ON pipe_message(ticket_id);
