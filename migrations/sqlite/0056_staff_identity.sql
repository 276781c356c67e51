-- 0056_staff_identity: a person in several organisations (issue 17, step 2;
-- docs/internals/organisations.md). A membership is a staff row: every query
-- reads staff rows scoped by staff.org_id with that row's role, admin flag,
-- active flag and departments, so one row per (person, organisation) keeps
-- them all correct. The person's own things (email, password, 2FA, lockout,
-- password history, language) live on the person's home row
-- (identity_id NULL); a linked membership row names its home row in
-- identity_id, copies name and email for display and holds no password.
--
-- The email is unique among home rows (a person signs in by it) and within
-- an organisation; a person has at most one membership per organisation.
-- SQLite cannot drop the column's UNIQUE constraint in place: the table is
-- rebuilt (https://sqlite.org/lang_altertable.html, as 0006 did), with
-- foreign keys off (migrate.c checks them before it commits) and the
-- AUTOINCREMENT counter kept, so no deleted member's id comes back.
-- atrium: foreign-keys-off
CREATE TABLE m0056_seq AS SELECT seq FROM sqlite_sequence WHERE name = 'staff';

CREATE TABLE new_staff (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	email TEXT NOT NULL,
	email_norm TEXT NOT NULL,
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
	password_changed_at TEXT,
	l10n_language TEXT,
	l10n_timezone TEXT,
	l10n_date_format TEXT,
	l10n_time_format TEXT,
	l10n_thousands_separator TEXT,
	l10n_decimal_separator TEXT,
	l10n_first_day_of_week TEXT,
	identity_id INTEGER REFERENCES staff(id)
		CHECK (identity_id IS NULL OR password_hash IS NULL)
);
INSERT INTO new_staff SELECT *, NULL FROM staff;
DROP TABLE staff;
ALTER TABLE new_staff RENAME TO staff;
UPDATE sqlite_sequence SET seq = (SELECT seq FROM m0056_seq)
	WHERE name = 'staff' AND seq < (SELECT seq FROM m0056_seq);
DROP TABLE m0056_seq;
CREATE INDEX staff_org ON staff(org_id, id);
CREATE INDEX staff_role ON staff(role_id);
CREATE UNIQUE INDEX staff_email_home ON staff(email_norm)
	WHERE identity_id IS NULL;
CREATE UNIQUE INDEX staff_org_email ON staff(org_id, email_norm);
CREATE UNIQUE INDEX staff_identity_org ON staff(identity_id, org_id);
