-- 0006_ids_never_reused: every table with an INTEGER PRIMARY KEY id gets
-- AUTOINCREMENT, so SQLite never hands out an id again once its row is
-- deleted (without it, deleting the newest lead gave its id to the next one:
-- the activity log for that id then mixed two records, and an idempotent
-- replay's Location named the other record).
--
-- SQLite cannot add AUTOINCREMENT to a table in place: each table is rebuilt
-- with the twelve steps of https://sqlite.org/lang_altertable.html (new
-- table, copy, drop, rename, indexes). Other tables reference these, so the
-- migration runs with foreign keys off (the marker line below; migrate.c
-- turns them off outside the transaction and runs PRAGMA foreign_key_check
-- before it commits): with them on, DROP TABLE staff would delete every
-- row that references a member through ON DELETE CASCADE.
--
-- The columns are those of 0001-0005, in their order (ALTER TABLE ADD COLUMN
-- appended some), so INSERT ... SELECT * copies each row unchanged.
-- atrium: foreign-keys-off

-- org
CREATE TABLE new_org (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL,
	created_at TEXT NOT NULL
);
INSERT INTO new_org SELECT * FROM org;
DROP TABLE org;
ALTER TABLE new_org RENAME TO org;

-- staff
CREATE TABLE new_staff (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	email TEXT NOT NULL,
	email_norm TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	password_hash TEXT,
	admin INTEGER NOT NULL DEFAULT 0,
	active INTEGER NOT NULL DEFAULT 1,
	last_login_at TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	role_id INTEGER REFERENCES role(id),
	must_change_password INTEGER NOT NULL DEFAULT 0,
	version INTEGER NOT NULL DEFAULT 1,
	password_changed_at TEXT
);
INSERT INTO new_staff SELECT * FROM staff;
DROP TABLE staff;
ALTER TABLE new_staff RENAME TO staff;
CREATE INDEX staff_org ON staff(org_id, id);
CREATE INDEX staff_role ON staff(role_id);

-- session
CREATE TABLE new_session (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
	token_hash TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	ip TEXT,
	user_agent TEXT,
	stage TEXT NOT NULL DEFAULT 'full',
	idle_minutes INTEGER NOT NULL DEFAULT 30
);
INSERT INTO new_session SELECT * FROM session;
DROP TABLE session;
ALTER TABLE new_session RENAME TO session;
CREATE INDEX session_staff ON session(staff_id);

-- auth_token
CREATE TABLE new_auth_token (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER REFERENCES org(id),
	staff_id INTEGER REFERENCES staff(id) ON DELETE CASCADE,
	purpose TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	expires_at TEXT NOT NULL,
	used_at TEXT,
	created_at TEXT NOT NULL
);
INSERT INTO new_auth_token SELECT * FROM auth_token;
DROP TABLE auth_token;
ALTER TABLE new_auth_token RENAME TO auth_token;

-- activity_log
CREATE TABLE new_activity_log (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO new_activity_log SELECT * FROM activity_log;
DROP TABLE activity_log;
ALTER TABLE new_activity_log RENAME TO activity_log;
CREATE INDEX activity_org_at ON activity_log(org_id, at);
CREATE INDEX activity_entity ON activity_log(org_id, entity, entity_id);
CREATE INDEX activity_actor ON activity_log(org_id, actor_id);

-- event
CREATE TABLE new_event (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL,
	uuid TEXT NOT NULL UNIQUE,
	entity TEXT NOT NULL,
	entity_id INTEGER,
	action TEXT NOT NULL,
	payload TEXT NOT NULL,
	created_at TEXT NOT NULL,
	processed_at TEXT
);
INSERT INTO new_event SELECT * FROM event;
DROP TABLE event;
ALTER TABLE new_event RENAME TO event;
CREATE INDEX event_pending ON event(id) WHERE processed_at IS NULL;

-- lead
CREATE TABLE new_lead (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	name TEXT NOT NULL,
	company TEXT,
	email TEXT,
	phone TEXT,
	source TEXT,
	status TEXT NOT NULL DEFAULT 'new',
	value INTEGER,
	currency TEXT,
	assigned_to INTEGER REFERENCES staff(id),
	owner_id INTEGER REFERENCES staff(id),
	notes TEXT,
	tags TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);
INSERT INTO new_lead SELECT * FROM lead;
DROP TABLE lead;
ALTER TABLE new_lead RENAME TO lead;
CREATE INDEX lead_org ON lead(org_id, id);
CREATE INDEX lead_status ON lead(org_id, status);
CREATE INDEX lead_assigned ON lead(org_id, assigned_to);
CREATE INDEX lead_owner ON lead(org_id, owner_id);

-- client
CREATE TABLE new_client (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	company TEXT NOT NULL,
	vat_number TEXT,
	registration_number TEXT,
	address TEXT,
	city TEXT,
	country TEXT,
	phone TEXT,
	website TEXT,
	default_currency TEXT,
	owner_id INTEGER REFERENCES staff(id),
	assigned_to INTEGER REFERENCES staff(id),
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);
INSERT INTO new_client SELECT * FROM client;
DROP TABLE client;
ALTER TABLE new_client RENAME TO client;
CREATE INDEX client_org ON client(org_id, id);
CREATE INDEX client_owner ON client(org_id, owner_id);
CREATE INDEX client_assigned ON client(org_id, assigned_to);

-- role
CREATE TABLE new_role (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	name TEXT NOT NULL,
	description TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	require_2fa INTEGER NOT NULL DEFAULT 0,
	UNIQUE (org_id, name)
);
INSERT INTO new_role SELECT * FROM role;
DROP TABLE role;
ALTER TABLE new_role RENAME TO role;

-- department
CREATE TABLE new_department (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	name TEXT NOT NULL,
	email TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	UNIQUE (org_id, name)
);
INSERT INTO new_department SELECT * FROM department;
DROP TABLE department;
ALTER TABLE new_department RENAME TO department;

-- team
CREATE TABLE new_team (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	name TEXT NOT NULL,
	description TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	UNIQUE (org_id, name)
);
INSERT INTO new_team SELECT * FROM team;
DROP TABLE team;
ALTER TABLE new_team RENAME TO team;

-- email_queue
CREATE TABLE new_email_queue (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	to_addr TEXT NOT NULL,
	subject TEXT NOT NULL,
	body_text TEXT NOT NULL,
	template TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'queued'
		CHECK (status IN ('queued', 'sending', 'sent', 'blocked')),
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL,
	last_error TEXT,
	created_at TEXT NOT NULL,
	sent_at TEXT,
	locked_until TEXT
);
INSERT INTO new_email_queue SELECT * FROM email_queue;
DROP TABLE email_queue;
ALTER TABLE new_email_queue RENAME TO email_queue;
CREATE INDEX email_queue_due ON email_queue(status, next_attempt_at);
CREATE INDEX email_queue_org ON email_queue(org_id, status, id);

-- recovery_code
CREATE TABLE new_recovery_code (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
	code_hash TEXT NOT NULL,
	used_at TEXT,
	created_at TEXT NOT NULL
);
INSERT INTO new_recovery_code SELECT * FROM recovery_code;
DROP TABLE recovery_code;
ALTER TABLE new_recovery_code RENAME TO recovery_code;
CREATE INDEX recovery_code_staff ON recovery_code(staff_id);

-- password_history
CREATE TABLE new_password_history (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
	password_hash TEXT NOT NULL,
	created_at TEXT NOT NULL
);
INSERT INTO new_password_history SELECT * FROM password_history;
DROP TABLE password_history;
ALTER TABLE new_password_history RENAME TO password_history;
CREATE INDEX password_history_staff ON password_history(staff_id, id);

-- AUTOINCREMENT continues after the largest id present. An id deleted
-- before this migration may be larger: the activity log remembers every
-- record it recorded, so the counters start after those too.
INSERT INTO sqlite_sequence (name, seq)
	SELECT 'staff', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'staff');
UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(entity_id), 0)
	FROM activity_log WHERE entity = 'staff')) WHERE name = 'staff';
INSERT INTO sqlite_sequence (name, seq)
	SELECT 'lead', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'lead');
UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(entity_id), 0)
	FROM activity_log WHERE entity = 'lead')) WHERE name = 'lead';
INSERT INTO sqlite_sequence (name, seq)
	SELECT 'client', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'client');
UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(entity_id), 0)
	FROM activity_log WHERE entity = 'client')) WHERE name = 'client';
INSERT INTO sqlite_sequence (name, seq)
	SELECT 'role', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'role');
UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(entity_id), 0)
	FROM activity_log WHERE entity = 'role')) WHERE name = 'role';
INSERT INTO sqlite_sequence (name, seq)
	SELECT 'department', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'department');
UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(entity_id), 0)
	FROM activity_log WHERE entity = 'department')) WHERE name = 'department';
INSERT INTO sqlite_sequence (name, seq)
	SELECT 'team', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'team');
UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(entity_id), 0)
	FROM activity_log WHERE entity = 'team')) WHERE name = 'team';
