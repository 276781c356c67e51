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
ALTER TABLE staff ADD COLUMN identity_id BIGINT REFERENCES staff(id)
	CHECK (identity_id IS NULL OR password_hash IS NULL);
ALTER TABLE staff DROP CONSTRAINT staff_email_norm_key;
CREATE UNIQUE INDEX staff_email_home ON staff(email_norm)
	WHERE identity_id IS NULL;
CREATE UNIQUE INDEX staff_org_email ON staff(org_id, email_norm);
CREATE UNIQUE INDEX staff_identity_org ON staff(identity_id, org_id);
