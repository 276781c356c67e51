-- 0001_core: organisations, staff, sessions, tokens, throttling, settings,
-- the activity log with its hash-chain head, the outbox, idempotency keys.
CREATE TABLE org (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	created_at TEXT NOT NULL
);

CREATE TABLE staff (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	email TEXT NOT NULL,
	email_norm TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	password_hash TEXT,
	admin INTEGER NOT NULL DEFAULT 0,
	active INTEGER NOT NULL DEFAULT 1,
	last_login_at TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX staff_org ON staff(org_id, id);

CREATE TABLE session (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
	token_hash TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	ip TEXT,
	user_agent TEXT
);
CREATE INDEX session_staff ON session(staff_id);

CREATE TABLE auth_token (
	id INTEGER PRIMARY KEY,
	org_id INTEGER REFERENCES org(id),
	staff_id INTEGER REFERENCES staff(id) ON DELETE CASCADE,
	purpose TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	expires_at TEXT NOT NULL,
	used_at TEXT,
	created_at TEXT NOT NULL
);

CREATE TABLE login_throttle (
	key TEXT PRIMARY KEY,
	failures INTEGER NOT NULL,
	window_start TEXT NOT NULL,
	blocked_until TEXT
);

CREATE TABLE setting (
	org_id INTEGER NOT NULL REFERENCES org(id),
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (org_id, key)
);

CREATE TABLE activity_log (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	at TEXT NOT NULL,
	actor_id INTEGER,
	actor_name TEXT,
	action TEXT NOT NULL,
	entity TEXT,
	entity_id INTEGER,
	diff TEXT,
	ip TEXT,
	request_id TEXT,
	prev_hash TEXT NOT NULL,
	hash TEXT NOT NULL,
	UNIQUE (org_id, seq)
);
CREATE INDEX activity_org_at ON activity_log(org_id, at);
CREATE INDEX activity_entity ON activity_log(org_id, entity, entity_id);
CREATE INDEX activity_actor ON activity_log(org_id, actor_id);

CREATE TABLE audit_head (
	org_id INTEGER PRIMARY KEY,
	seq INTEGER NOT NULL,
	hash TEXT NOT NULL
);

CREATE TABLE event (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL,
	uuid TEXT NOT NULL UNIQUE,
	entity TEXT NOT NULL,
	entity_id INTEGER,
	action TEXT NOT NULL,
	payload TEXT NOT NULL,
	created_at TEXT NOT NULL,
	processed_at TEXT
);
CREATE INDEX event_pending ON event(id) WHERE processed_at IS NULL;

CREATE TABLE idempotency_key (
	org_id INTEGER NOT NULL,
	staff_id INTEGER NOT NULL,
	key TEXT NOT NULL,
	route TEXT NOT NULL,
	body_hash TEXT NOT NULL,
	status INTEGER NOT NULL,
	response TEXT NOT NULL,
	location TEXT,
	created_at TEXT NOT NULL,
	PRIMARY KEY (org_id, staff_id, key)
);

INSERT INTO org (id, name, created_at)
	VALUES (1, 'Default organisation', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
