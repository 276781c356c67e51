-- 0005_auth: two-factor authentication, recovery codes, password history,
-- session stages, and the per-role 2FA requirement.
CREATE TABLE staff_totp (
	staff_id INTEGER PRIMARY KEY REFERENCES staff(id) ON DELETE CASCADE,
	secret TEXT NOT NULL,          -- secret_encrypt()'d, never plaintext
	confirmed_at TEXT,             -- NULL while enrolment is pending
	last_step INTEGER NOT NULL DEFAULT 0, -- replay guard
	created_at TEXT NOT NULL
);

CREATE TABLE recovery_code (
	id INTEGER PRIMARY KEY,
	staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
	code_hash TEXT NOT NULL,
	used_at TEXT,
	created_at TEXT NOT NULL
);
CREATE INDEX recovery_code_staff ON recovery_code(staff_id);

CREATE TABLE password_history (
	id INTEGER PRIMARY KEY,
	staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
	password_hash TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE INDEX password_history_staff ON password_history(staff_id, id);

-- full: signed in; mfa: password accepted, second factor pending;
-- enrol: password accepted, 2FA required but not set up yet.
ALTER TABLE session ADD COLUMN stage TEXT NOT NULL DEFAULT 'full';
ALTER TABLE session ADD COLUMN idle_minutes INTEGER NOT NULL DEFAULT 30;
ALTER TABLE staff ADD COLUMN password_changed_at TEXT;
ALTER TABLE role ADD COLUMN require_2fa INTEGER NOT NULL DEFAULT 0;
