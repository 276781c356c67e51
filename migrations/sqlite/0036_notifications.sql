-- 0036_notifications: in-app notifications for staff members (issue 14;
-- src/admin/notification.c). A row is written by notification_add in the
-- transaction of the change that causes it (an automation, the system,
-- `atrium notify`); only its member reads it and marks it read.
--
-- AUTOINCREMENT: an id is never reused, so a notification the member
-- marked read by id can never become another one after housekeeping.
-- notification_member serves a member's list newest first;
-- notification_unread (partial) the unread count the web UI polls, the
-- unread list and "mark all read"; notification_created and
-- notification_read_created the housekeeping (read ones after 90 days,
-- any after 365).

CREATE TABLE notification (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
	title TEXT NOT NULL,
	body TEXT,
	link TEXT,
	source TEXT NOT NULL,
	created_at TEXT NOT NULL,
	read_at TEXT
);
CREATE INDEX notification_member ON notification(staff_id, id);
CREATE INDEX notification_unread ON notification(staff_id, id) WHERE read_at IS NULL;
CREATE INDEX notification_created ON notification(created_at);
CREATE INDEX notification_read_created ON notification(created_at) WHERE read_at IS NOT NULL;
