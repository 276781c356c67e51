-- 0038_vault: the team password vault (/admin/team_password; src/admin/
-- vault*.c, docs/internals/vault.md).
--
-- Secrets never sit here in clear. Each entry has a random key of its own
-- (entry_key), stored wrapped by the master key ("v1:", core/secret.h);
-- the password, the notes and the previous passwords are sealed with that
-- key ("vk1:", XChaCha20-Poly1305, the field's name as associated data).
--
-- Access is per entry (vault_access): a role, department, team or member
-- (subject) holds a level, 1 view (the entry exists, its non-secret
-- fields), 2 use (also reveal its secrets), 3 manage (also change it,
-- delete it, change its access). A member's level is the highest of the
-- grants that reach them; administrators manage every entry. A category
-- carries default grants (default_access, JSON) that a new entry of the
-- category receives when its creator sends none.
--
-- Subjects are not foreign keys (four tables): ids of staff, roles,
-- departments and teams are never reused (0006), so a grant left by a
-- deleted subject reaches nobody; housekeeping removes such grants.

CREATE TABLE vault_category (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	name TEXT NOT NULL,
	description TEXT,
	default_access TEXT NOT NULL DEFAULT '[]',
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_by INTEGER,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX vault_category_name_ci ON vault_category(org_id, lower(name));

CREATE TABLE vault_entry (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	category_id INTEGER REFERENCES vault_category(id),
	name TEXT NOT NULL,
	url TEXT,
	username TEXT,
	entry_key TEXT NOT NULL,
	password_enc TEXT,
	notes_enc TEXT,
	rotated_at TEXT, -- when the password was last set (or cleared)
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_by INTEGER,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX vault_entry_org_name ON vault_entry(org_id, lower(name), id);
CREATE INDEX vault_entry_category ON vault_entry(category_id);

CREATE TABLE vault_access (
	org_id INTEGER NOT NULL REFERENCES org(id),
	entry_id INTEGER NOT NULL REFERENCES vault_entry(id) ON DELETE CASCADE,
	subject TEXT NOT NULL
		CHECK (subject IN ('role', 'department', 'team', 'staff')),
	subject_id INTEGER NOT NULL,
	level INTEGER NOT NULL CHECK (level >= 1 AND level <= 3),
	PRIMARY KEY (entry_id, subject, subject_id)
);
-- A member's grants: one index range per subject kind (vault_access.c).
CREATE INDEX vault_access_subject ON vault_access(org_id, subject, subject_id, entry_id);

-- Previous passwords of an entry, newest last; at most VAULT_HISTORY_MAX
-- (vault_entry.c) are kept.
CREATE TABLE vault_history (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	entry_id INTEGER NOT NULL REFERENCES vault_entry(id) ON DELETE CASCADE,
	password_enc TEXT NOT NULL,
	set_at TEXT,
	replaced_at TEXT NOT NULL,
	replaced_by INTEGER
);
CREATE INDEX vault_history_entry ON vault_history(entry_id, id);
