-- 0055_org_hierarchy: organisations in a hierarchy (issue 17, step 1; see
-- docs/internals/organisations.md). One operator at the top (no parent),
-- businesses under it, merchants under a business, nothing deeper: the
-- CHECK says what one row can (the operator alone has no parent and is
-- never suspended), src/auth/org.c the rest (a parent's kind). On an
-- upgrade organisation 1 becomes the operator and any other one a business
-- under it. The seat figures move from the settings seats.members_included
-- and seats.extra_seats onto the row, where only the operator changes them
-- (`atrium org seats`); the organisation's administrators read them.
ALTER TABLE org ADD COLUMN parent_id BIGINT REFERENCES org(id);
ALTER TABLE org ADD COLUMN kind TEXT NOT NULL DEFAULT 'business'
	CHECK (kind IN ('operator', 'business', 'merchant'));
ALTER TABLE org ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
	CHECK (status IN ('active', 'suspended'));
ALTER TABLE org ADD COLUMN suspended_at TEXT;
ALTER TABLE org ADD COLUMN members_included BIGINT NOT NULL DEFAULT 5
	CHECK (members_included BETWEEN 1 AND 1000000);
ALTER TABLE org ADD COLUMN extra_seats BIGINT NOT NULL DEFAULT 0
	CHECK (extra_seats BETWEEN 0 AND 1000000);
UPDATE org SET kind = 'operator' WHERE id = 1;
UPDATE org SET parent_id = 1 WHERE id <> 1;
ALTER TABLE org ADD CONSTRAINT org_hierarchy
	CHECK ((kind = 'operator') = (parent_id IS NULL)
	       AND NOT (kind = 'operator' AND status = 'suspended'));
CREATE UNIQUE INDEX org_one_operator ON org(kind) WHERE kind = 'operator';
CREATE INDEX org_parent ON org(parent_id);

UPDATE org SET
	members_included = COALESCE((SELECT CAST(value AS BIGINT) FROM setting
		WHERE setting.org_id = org.id AND key = 'members_included'), 5),
	extra_seats = COALESCE((SELECT CAST(value AS BIGINT) FROM setting
		WHERE setting.org_id = org.id AND key = 'extra_seats'), 0);
DELETE FROM setting WHERE key IN ('members_included', 'extra_seats');
