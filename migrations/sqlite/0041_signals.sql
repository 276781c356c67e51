-- 0041_signals: what the weekly check of the activity log looks for
-- (issue 16, Utilities; src/admin/signals.c) and the system log
-- (src/admin/system_log.c).
--
-- activity_signal flags an activity row: `new_address` (a sign-in from an
-- address new for the member), `unusual_hours` (a sign-in outside the
-- organisation's working hours), `mass_delete` (a deletion of a burst).
-- It is a table of its own, not a column of activity_log: the chained rows
-- stay as written, and a flag can be added to an earlier row (the first
-- deletions of a burst are flagged when the Nth comes). activity_signal_kind
-- serves the activity list's `signal=` filter (id IN (...)).
CREATE TABLE activity_signal (
	activity_id INTEGER NOT NULL REFERENCES activity_log(id) ON DELETE CASCADE,
	org_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	at TEXT NOT NULL,
	PRIMARY KEY (activity_id, kind)
);
CREATE INDEX activity_signal_kind ON activity_signal(org_id, kind, activity_id);

-- The address prefixes a member signed in from (IPv4 /24, IPv6 /64), at
-- most 50 per member (the least recently seen goes). One indexed read of
-- the member's rows per sign-in.
CREATE TABLE signin_address (
	org_id INTEGER NOT NULL,
	staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
	prefix TEXT NOT NULL,
	first_seen TEXT NOT NULL,
	last_seen TEXT NOT NULL,
	sign_ins INTEGER NOT NULL DEFAULT 1,
	PRIMARY KEY (staff_id, prefix)
);

-- Mass deletions: a burst per actor, so administrators are told once per
-- burst. activity_deletes (partial: only deletion rows pay for it) counts an
-- actor's deletions of the last minutes.
CREATE TABLE activity_burst (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL,
	actor_id INTEGER NOT NULL,
	first_at TEXT NOT NULL,
	last_at TEXT NOT NULL,
	deletions INTEGER NOT NULL
);
CREATE INDEX activity_burst_actor ON activity_burst(org_id, actor_id, last_at);
CREATE INDEX activity_deletes ON activity_log(org_id, actor_id, at) WHERE action = 'delete';

-- Server errors: every 5xx answer and every error line the server logged,
-- never a request body. Bounded: the writer keeps the newest 10,000 rows.
CREATE TABLE system_log (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	at TEXT NOT NULL,
	org_id INTEGER,
	node TEXT NOT NULL,
	status INTEGER,
	method TEXT,
	route TEXT,
	request_id TEXT,
	message TEXT NOT NULL
);
CREATE INDEX system_log_at ON system_log(at);
CREATE INDEX system_log_org ON system_log(org_id, id);
