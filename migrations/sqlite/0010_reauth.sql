-- 0010_reauth: re-authentication and confirmed email changes.
-- reauth_at: when the member last re-entered their password (and code)
-- in this session; routes flagged ROUTE_REAUTH need it within minutes.
ALTER TABLE session ADD COLUMN reauth_at TEXT;

-- A member's own email change, pending until confirmed from the old and
-- the new address (one link each, stored hashed). One per member: a new
-- request replaces the old.
CREATE TABLE email_change (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	staff_id INTEGER NOT NULL UNIQUE REFERENCES staff(id) ON DELETE CASCADE,
	new_email TEXT NOT NULL,
	old_token_hash TEXT NOT NULL UNIQUE,
	new_token_hash TEXT NOT NULL UNIQUE,
	old_confirmed_at TEXT,
	new_confirmed_at TEXT,
	expires_at TEXT NOT NULL,
	created_at TEXT NOT NULL
);
