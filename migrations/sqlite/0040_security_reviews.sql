-- 0040_security_reviews: the live security checklist (issue 16; the spec's
-- "Security — permanent checklist"; src/admin/security_check.c).
--
-- security_review: an administrator's mark that a checklist row's review
-- was done (the activity log reviewed, the roles audited, ...), with an
-- optional note; the newest per row is its "last done". Written with its
-- activity row in one transaction; never changed or deleted by the API.
-- security_review_row serves "the newest of each row" and a row's history.
--
-- security_notice: what the scheduler's security_checklist task last told
-- the administrators about a row (by email and in-app notification): the
-- due period it was about (period_key), so an overdue row is told once per
-- due period, not at every run, across restarts and nodes.
--
-- role.template: the spec's role template a role was made from (its name,
-- src/admin/role.c templates[]), or NULL; the role audit flags a role that
-- grants more than its template. Roles made before this migration whose
-- name is a template's name are taken to be made from it.

CREATE TABLE security_review (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	check_key TEXT NOT NULL,
	done_at TEXT NOT NULL,
	actor_id INTEGER REFERENCES staff(id) ON DELETE SET NULL,
	actor_name TEXT NOT NULL,
	note TEXT
);
CREATE INDEX security_review_row ON security_review(org_id, check_key, done_at);

CREATE TABLE security_notice (
	org_id INTEGER NOT NULL REFERENCES org(id),
	check_key TEXT NOT NULL,
	period_key TEXT NOT NULL,
	sent_at TEXT NOT NULL,
	PRIMARY KEY (org_id, check_key)
);

ALTER TABLE role ADD COLUMN template TEXT;
UPDATE role SET template = CASE lower(name)
	WHEN 'sales agent' THEN 'Sales Agent'
	WHEN 'ar accountant' THEN 'AR Accountant'
	WHEN 'warehouse operator' THEN 'Warehouse Operator'
	WHEN 'hr administrator' THEN 'HR Administrator' END;
