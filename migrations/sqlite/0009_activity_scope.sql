-- 0009_activity_scope: the activity log follows the view scope. A member
-- who is not an administrator reads it as a union of one arm per entity
-- they may see; each arm walks (org_id, entity) in id order (SQLite's
-- index ends with the rowid) and the arms merge into one page.
CREATE INDEX activity_entity_seq ON activity_log(org_id, entity);
