-- 0028_pipe_message_department: a message sent to several department
-- addresses reaches each of them (issue 12, found by the Postfix test).
-- pipe_message was keyed by (org_id, message_id), so the first copy a mail
-- server delivered opened a ticket and every other department's copy was
-- ignored as "already received": which department got the message was
-- down to delivery order, and two copies delivered at once collided on the
-- key (exit 75, the mail deferred for minutes). Now a message is taken
-- once per department address it came to (a new ticket) and once per
-- ticket (a reply, whichever address it came to); both keys are unique,
-- so a concurrent copy waits for the other's row and is ignored.
-- Existing rows take their ticket's department.
ALTER TABLE pipe_message ADD COLUMN department_id BIGINT REFERENCES department(id) ON DELETE SET NULL;
UPDATE pipe_message p SET department_id = t.department_id FROM ticket t WHERE t.id = p.ticket_id;
ALTER TABLE pipe_message DROP CONSTRAINT pipe_message_pkey;
ALTER TABLE pipe_message ADD CONSTRAINT pipe_message_ticket_once UNIQUE (org_id, message_id, ticket_id);
ALTER TABLE pipe_message ADD CONSTRAINT pipe_message_department_once UNIQUE (org_id, message_id, department_id);
