-- 0008_search: text search that stays fast at a million rows, and the
-- indexes the view scope needs.
--
-- pg_trgm (a trusted extension: the database owner may create it) indexes
-- one expression per entity: its searchable fields, lower-cased and
-- joined by a line feed; the list engine matches it with LIKE '%q%'. The
-- expression must be exactly the one src/entity/entity_api.c builds from
-- the F_SEARCH fields, in field order.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX lead_search ON lead USING gin ((lower(coalesce(name, '') || E'\n' || coalesce(company, '') || E'\n' || coalesce(email, '') || E'\n' || coalesce(phone, ''))) gin_trgm_ops);

CREATE INDEX client_search ON client USING gin ((lower(coalesce(company, '') || E'\n' || coalesce(vat_number, '') || E'\n' || coalesce(registration_number, '') || E'\n' || coalesce(city, '') || E'\n' || coalesce(phone, ''))) gin_trgm_ops);

CREATE INDEX department_search ON department USING gin ((lower(coalesce(name, '') || E'\n' || coalesce(email, ''))) gin_trgm_ops);

CREATE INDEX team_search ON team USING gin ((lower(coalesce(name, '') || E'\n' || coalesce(description, ''))) gin_trgm_ops);

-- The view scope of view_own lists walks (org, owner, id) and (org,
-- assignee, id) in id order and stops after a page (SQLite's indexes end
-- with the rowid already).
CREATE INDEX lead_owner_id ON lead(org_id, owner_id, id);
CREATE INDEX lead_assigned_id ON lead(org_id, assigned_to, id);
CREATE INDEX client_owner_id ON client(org_id, owner_id, id);
CREATE INDEX client_assigned_id ON client(org_id, assigned_to, id);
DROP INDEX lead_owner;
DROP INDEX lead_assigned;
DROP INDEX client_owner;
DROP INDEX client_assigned;
