-- 0008_search: text search that stays fast at a million rows, and the
-- indexes the view scope needs.
--
-- Each entity's searchable fields are indexed by an FTS5 table with the
-- trigram tokenizer (case-insensitive substrings of 3+ characters, the
-- same answers as LIKE '%q%'), kept in step with the entity's table by
-- triggers in the writing transaction (external content: the index holds
-- no copy of the text, and erasing a value removes its trigrams). The
-- FTS rowid is the record id. The fields must match the F_SEARCH flags of
-- the entity (src/entity/<name>.c).

CREATE VIRTUAL TABLE lead_fts USING fts5(name, company, email, phone, content='lead',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER lead_fts_insert AFTER INSERT ON lead BEGIN
	INSERT INTO lead_fts (rowid, name, company, email, phone) VALUES (new.id, new.name, new.company, new.email, new.phone);
END;
CREATE TRIGGER lead_fts_delete AFTER DELETE ON lead BEGIN
	INSERT INTO lead_fts (lead_fts, rowid, name, company, email, phone)
		VALUES ('delete', old.id, old.name, old.company, old.email, old.phone);
END;
CREATE TRIGGER lead_fts_update AFTER UPDATE OF name, company, email, phone ON lead BEGIN
	INSERT INTO lead_fts (lead_fts, rowid, name, company, email, phone)
		VALUES ('delete', old.id, old.name, old.company, old.email, old.phone);
	INSERT INTO lead_fts (rowid, name, company, email, phone) VALUES (new.id, new.name, new.company, new.email, new.phone);
END;
INSERT INTO lead_fts (lead_fts) VALUES ('rebuild');

CREATE VIRTUAL TABLE client_fts USING fts5(company, vat_number, registration_number, city, phone, content='client',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER client_fts_insert AFTER INSERT ON client BEGIN
	INSERT INTO client_fts (rowid, company, vat_number, registration_number, city, phone) VALUES (new.id, new.company, new.vat_number, new.registration_number, new.city, new.phone);
END;
CREATE TRIGGER client_fts_delete AFTER DELETE ON client BEGIN
	INSERT INTO client_fts (client_fts, rowid, company, vat_number, registration_number, city, phone)
		VALUES ('delete', old.id, old.company, old.vat_number, old.registration_number, old.city, old.phone);
END;
CREATE TRIGGER client_fts_update AFTER UPDATE OF company, vat_number, registration_number, city, phone ON client BEGIN
	INSERT INTO client_fts (client_fts, rowid, company, vat_number, registration_number, city, phone)
		VALUES ('delete', old.id, old.company, old.vat_number, old.registration_number, old.city, old.phone);
	INSERT INTO client_fts (rowid, company, vat_number, registration_number, city, phone) VALUES (new.id, new.company, new.vat_number, new.registration_number, new.city, new.phone);
END;
INSERT INTO client_fts (client_fts) VALUES ('rebuild');

CREATE VIRTUAL TABLE department_fts USING fts5(name, email, content='department',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER department_fts_insert AFTER INSERT ON department BEGIN
	INSERT INTO department_fts (rowid, name, email) VALUES (new.id, new.name, new.email);
END;
CREATE TRIGGER department_fts_delete AFTER DELETE ON department BEGIN
	INSERT INTO department_fts (department_fts, rowid, name, email)
		VALUES ('delete', old.id, old.name, old.email);
END;
CREATE TRIGGER department_fts_update AFTER UPDATE OF name, email ON department BEGIN
	INSERT INTO department_fts (department_fts, rowid, name, email)
		VALUES ('delete', old.id, old.name, old.email);
	INSERT INTO department_fts (rowid, name, email) VALUES (new.id, new.name, new.email);
END;
INSERT INTO department_fts (department_fts) VALUES ('rebuild');

CREATE VIRTUAL TABLE team_fts USING fts5(name, description, content='team',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER team_fts_insert AFTER INSERT ON team BEGIN
	INSERT INTO team_fts (rowid, name, description) VALUES (new.id, new.name, new.description);
END;
CREATE TRIGGER team_fts_delete AFTER DELETE ON team BEGIN
	INSERT INTO team_fts (team_fts, rowid, name, description)
		VALUES ('delete', old.id, old.name, old.description);
END;
CREATE TRIGGER team_fts_update AFTER UPDATE OF name, description ON team BEGIN
	INSERT INTO team_fts (team_fts, rowid, name, description)
		VALUES ('delete', old.id, old.name, old.description);
	INSERT INTO team_fts (rowid, name, description) VALUES (new.id, new.name, new.description);
END;
INSERT INTO team_fts (team_fts) VALUES ('rebuild');
