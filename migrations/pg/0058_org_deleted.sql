-- 0058_org_deleted: organisations the operator deleted (issue 17; `atrium
-- org delete`, DELETE /api/v1/operator/orgs/{id}). Their rows are gone;
-- this keeps the id, name and when, so the id is never given to another
-- organisation (SQLite would reuse the highest id of org; here the
-- identity never does, but the two dialects keep one schema: caches,
-- archive directories and checkpoints name organisations by id) and the
-- operator's activity log row keeps something to point at. No org_id column: the
-- delete walk (every table with one) passes it by.
CREATE TABLE org_deleted (
	id BIGINT PRIMARY KEY,
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	parent_id BIGINT,
	deleted_at TEXT NOT NULL
);
