-- 0018_custom_fields: the definitions of an organisation's custom fields
-- (/admin/custom_fields; src/admin/custom_field.c).
--
-- A definition names its entity and a slug, the stable API name of the
-- value under the record's `custom_fields` (unique per organisation and
-- entity, never changed). The values themselves stay in the entity's
-- `cf` column (0009); a filterable field gets an expression index on
-- (org_id, its value) created with it, named cf_<entity>_<id>
-- (cfs_... for the case-folded sort of text), so a filter or sort on a
-- custom field is as index-driven as on a built-in column.
--
-- `cf_search` holds the searchable custom values of a record (text
-- fields not reserved to administrators, joined by newlines), written
-- with `cf` by the records module; it joins the search index, so ?q=
-- finds a record by its custom text through the same index as its
-- built-in fields.

CREATE TABLE custom_field (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	entity TEXT NOT NULL,
	slug TEXT NOT NULL,
	label TEXT NOT NULL,
	type TEXT NOT NULL,
	required INTEGER NOT NULL DEFAULT 0,
	default_value TEXT,
	help_text TEXT,
	position INTEGER NOT NULL DEFAULT 0,
	active INTEGER NOT NULL DEFAULT 1,
	only_admin INTEGER NOT NULL DEFAULT 0,
	show_on_client_portal INTEGER NOT NULL DEFAULT 0,
	show_on_pdf INTEGER NOT NULL DEFAULT 0,
	searchable INTEGER NOT NULL DEFAULT 1,
	bs_column INTEGER NOT NULL DEFAULT 12,
	options TEXT,
	decimals INTEGER,
	ref_entity TEXT,
	created_by INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	UNIQUE (org_id, entity, slug)
);
CREATE INDEX custom_field_entity ON custom_field(org_id, entity, position);

ALTER TABLE lead ADD COLUMN cf_search TEXT;
ALTER TABLE client ADD COLUMN cf_search TEXT;
ALTER TABLE department ADD COLUMN cf_search TEXT;
ALTER TABLE team ADD COLUMN cf_search TEXT;

-- The search index of each entity again, with cf_search.
DROP TRIGGER lead_fts_insert;
DROP TRIGGER lead_fts_delete;
DROP TRIGGER lead_fts_update;
DROP TABLE lead_fts;
CREATE VIRTUAL TABLE lead_fts USING fts5(name, company, email, phone, cf_search, content='lead',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER lead_fts_insert AFTER INSERT ON lead BEGIN
	INSERT INTO lead_fts (rowid, name, company, email, phone, cf_search) VALUES (new.id, new.name, new.company, new.email, new.phone, new.cf_search);
END;
CREATE TRIGGER lead_fts_delete AFTER DELETE ON lead BEGIN
	INSERT INTO lead_fts (lead_fts, rowid, name, company, email, phone, cf_search)
		VALUES ('delete', old.id, old.name, old.company, old.email, old.phone, old.cf_search);
END;
CREATE TRIGGER lead_fts_update AFTER UPDATE OF name, company, email, phone, cf_search ON lead BEGIN
	INSERT INTO lead_fts (lead_fts, rowid, name, company, email, phone, cf_search)
		VALUES ('delete', old.id, old.name, old.company, old.email, old.phone, old.cf_search);
	INSERT INTO lead_fts (rowid, name, company, email, phone, cf_search) VALUES (new.id, new.name, new.company, new.email, new.phone, new.cf_search);
END;
INSERT INTO lead_fts (lead_fts) VALUES ('rebuild');

DROP TRIGGER client_fts_insert;
DROP TRIGGER client_fts_delete;
DROP TRIGGER client_fts_update;
DROP TABLE client_fts;
CREATE VIRTUAL TABLE client_fts USING fts5(company, vat_number, registration_number, city, phone, cf_search, content='client',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER client_fts_insert AFTER INSERT ON client BEGIN
	INSERT INTO client_fts (rowid, company, vat_number, registration_number, city, phone, cf_search) VALUES (new.id, new.company, new.vat_number, new.registration_number, new.city, new.phone, new.cf_search);
END;
CREATE TRIGGER client_fts_delete AFTER DELETE ON client BEGIN
	INSERT INTO client_fts (client_fts, rowid, company, vat_number, registration_number, city, phone, cf_search)
		VALUES ('delete', old.id, old.company, old.vat_number, old.registration_number, old.city, old.phone, old.cf_search);
END;
CREATE TRIGGER client_fts_update AFTER UPDATE OF company, vat_number, registration_number, city, phone, cf_search ON client BEGIN
	INSERT INTO client_fts (client_fts, rowid, company, vat_number, registration_number, city, phone, cf_search)
		VALUES ('delete', old.id, old.company, old.vat_number, old.registration_number, old.city, old.phone, old.cf_search);
	INSERT INTO client_fts (rowid, company, vat_number, registration_number, city, phone, cf_search) VALUES (new.id, new.company, new.vat_number, new.registration_number, new.city, new.phone, new.cf_search);
END;
INSERT INTO client_fts (client_fts) VALUES ('rebuild');

DROP TRIGGER department_fts_insert;
DROP TRIGGER department_fts_delete;
DROP TRIGGER department_fts_update;
DROP TABLE department_fts;
CREATE VIRTUAL TABLE department_fts USING fts5(name, email, cf_search, content='department',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER department_fts_insert AFTER INSERT ON department BEGIN
	INSERT INTO department_fts (rowid, name, email, cf_search) VALUES (new.id, new.name, new.email, new.cf_search);
END;
CREATE TRIGGER department_fts_delete AFTER DELETE ON department BEGIN
	INSERT INTO department_fts (department_fts, rowid, name, email, cf_search)
		VALUES ('delete', old.id, old.name, old.email, old.cf_search);
END;
CREATE TRIGGER department_fts_update AFTER UPDATE OF name, email, cf_search ON department BEGIN
	INSERT INTO department_fts (department_fts, rowid, name, email, cf_search)
		VALUES ('delete', old.id, old.name, old.email, old.cf_search);
	INSERT INTO department_fts (rowid, name, email, cf_search) VALUES (new.id, new.name, new.email, new.cf_search);
END;
INSERT INTO department_fts (department_fts) VALUES ('rebuild');

DROP TRIGGER team_fts_insert;
DROP TRIGGER team_fts_delete;
DROP TRIGGER team_fts_update;
DROP TABLE team_fts;
CREATE VIRTUAL TABLE team_fts USING fts5(name, description, cf_search, content='team',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER team_fts_insert AFTER INSERT ON team BEGIN
	INSERT INTO team_fts (rowid, name, description, cf_search) VALUES (new.id, new.name, new.description, new.cf_search);
END;
CREATE TRIGGER team_fts_delete AFTER DELETE ON team BEGIN
	INSERT INTO team_fts (team_fts, rowid, name, description, cf_search)
		VALUES ('delete', old.id, old.name, old.description, old.cf_search);
END;
CREATE TRIGGER team_fts_update AFTER UPDATE OF name, description, cf_search ON team BEGIN
	INSERT INTO team_fts (team_fts, rowid, name, description, cf_search)
		VALUES ('delete', old.id, old.name, old.description, old.cf_search);
	INSERT INTO team_fts (rowid, name, description, cf_search) VALUES (new.id, new.name, new.description, new.cf_search);
END;
INSERT INTO team_fts (team_fts) VALUES ('rebuild');
