-- 0062_ids_never_reused_deleted: the ids that records deleted before 0061
-- held are not handed out again either.
--
-- 0061 gave the record tables AUTOINCREMENT, whose counter (sqlite_sequence)
-- started from the largest id present when the table was copied: the ids of
-- the newest records deleted before the upgrade were above it and went to
-- the next records created, and a table whose records had all been deleted
-- started again from 1. Their activity history and their events still name
-- those ids, so the counter of each record table is raised to the largest
-- id its activity log and its events ever named (one pass over each). The
-- other tables 0061 rebuilt (ticket files' storage rows, the pipe log,
-- portal sessions and tokens, email changes) are not named in the activity
-- log under their own name; PostgreSQL's identity columns never reuse a
-- value: migrations/pg/0062 changes nothing.

INSERT INTO sqlite_sequence (name, seq)
SELECT t.column1, 0
FROM (VALUES ('contact'), ('contract'), ('project'), ('task'), ('ticket'),
	('ticket_reply'), ('ticket_attachment'), ('invoice'), ('payment'),
	('credit_note'), ('proposal')) AS t
WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence s WHERE s.name = t.column1);

UPDATE sqlite_sequence SET seq = m.top
FROM (SELECT entity, MAX(entity_id) AS top
	FROM (SELECT entity, entity_id FROM activity_log
		WHERE entity IN ('contact', 'contract', 'project', 'task',
			'ticket', 'ticket_reply', 'ticket_attachment', 'invoice',
			'payment', 'credit_note', 'proposal')
		UNION ALL
		SELECT entity, entity_id FROM event
		WHERE entity IN ('contact', 'contract', 'project', 'task',
			'ticket', 'ticket_reply', 'ticket_attachment', 'invoice',
			'payment', 'credit_note', 'proposal'))
	GROUP BY entity) AS m
WHERE sqlite_sequence.name = m.entity AND m.top > sqlite_sequence.seq;
