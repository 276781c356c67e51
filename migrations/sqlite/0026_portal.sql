-- 0026_portal: the client portal's realm (issue 12). Contacts sign in with
-- their own accounts, sessions and single-use links, kept apart from
-- staff's: a portal_session row is never a staff session and the other way
-- round. The contact record carries what the contact may do in the portal
-- (portal_access, then which kinds of records); the secrets live in
-- portal_account (the password's argon2id hash, the TOTP seed encrypted
-- under the master key), never in the entity's own columns.

ALTER TABLE contact ADD COLUMN portal_access INTEGER DEFAULT 0;
ALTER TABLE contact ADD COLUMN portal_tickets INTEGER DEFAULT 1;
ALTER TABLE contact ADD COLUMN portal_contracts INTEGER DEFAULT 1;
ALTER TABLE contact ADD COLUMN portal_projects INTEGER DEFAULT 1;

CREATE TABLE portal_account (
	contact_id INTEGER PRIMARY KEY REFERENCES contact(id) ON DELETE CASCADE,
	org_id INTEGER NOT NULL REFERENCES org(id),
	password_hash TEXT,
	password_changed_at TEXT,
	totp_secret TEXT,
	totp_confirmed_at TEXT,
	totp_last_step INTEGER NOT NULL DEFAULT 0,
	last_login_at TEXT,
	created_at TEXT NOT NULL
);

CREATE TABLE portal_session (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	contact_id INTEGER NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
	token_hash TEXT NOT NULL UNIQUE,
	stage TEXT NOT NULL DEFAULT 'full',
	idle_minutes INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	ip TEXT,
	user_agent TEXT
);
CREATE INDEX portal_session_contact ON portal_session(contact_id);

CREATE TABLE portal_token (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	contact_id INTEGER NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
	purpose TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	used_at TEXT
);
CREATE INDEX portal_token_contact ON portal_token(contact_id, purpose);

CREATE TABLE portal_password_history (
	id INTEGER PRIMARY KEY,
	contact_id INTEGER NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
	password_hash TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE INDEX portal_password_history_contact ON portal_password_history(contact_id, id);
