-- 0020_contacts_contracts_projects: three CRM entities of the registry
-- (issue 12): contacts (people at a client; the email unique in the
-- organisation whatever its case, as it will be a portal sign-in name),
-- contracts (a client's agreement, its value and term; end_date indexed
-- for "expiring within N days") and projects. Each has the columns every
-- entity has (src/entity/entity.h), cf and cf_search for custom fields, and
-- its search index over its searchable fields then cf_search. A client
-- referred to by a contact, contract or project cannot be deleted (409).

CREATE TABLE contact (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	client_id INTEGER NOT NULL REFERENCES client(id),
	first_name TEXT NOT NULL,
	last_name TEXT,
	email TEXT NOT NULL,
	phone TEXT,
	position TEXT,
	is_primary INTEGER DEFAULT 0,
	owner_id INTEGER REFERENCES staff(id),
	notes TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	cf TEXT,
	cf_search TEXT
);
CREATE INDEX contact_org ON contact(org_id, id);
CREATE INDEX contact_client ON contact(org_id, client_id);
CREATE INDEX contact_owner ON contact(org_id, owner_id);
CREATE UNIQUE INDEX contact_email_ci ON contact(org_id, lower(email));
CREATE VIRTUAL TABLE contact_fts USING fts5(first_name, last_name, email, phone, position, cf_search, content='contact',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER contact_fts_insert AFTER INSERT ON contact BEGIN
	INSERT INTO contact_fts (rowid, first_name, last_name, email, phone, position, cf_search) VALUES (new.id, new.first_name, new.last_name, new.email, new.phone, new.position, new.cf_search);
END;
CREATE TRIGGER contact_fts_delete AFTER DELETE ON contact BEGIN
	INSERT INTO contact_fts (contact_fts, rowid, first_name, last_name, email, phone, position, cf_search)
		VALUES ('delete', old.id, old.first_name, old.last_name, old.email, old.phone, old.position, old.cf_search);
END;
CREATE TRIGGER contact_fts_update AFTER UPDATE OF first_name, last_name, email, phone, position, cf_search ON contact BEGIN
	INSERT INTO contact_fts (contact_fts, rowid, first_name, last_name, email, phone, position, cf_search)
		VALUES ('delete', old.id, old.first_name, old.last_name, old.email, old.phone, old.position, old.cf_search);
	INSERT INTO contact_fts (rowid, first_name, last_name, email, phone, position, cf_search) VALUES (new.id, new.first_name, new.last_name, new.email, new.phone, new.position, new.cf_search);
END;

CREATE TABLE contract (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	subject TEXT NOT NULL,
	client_id INTEGER NOT NULL REFERENCES client(id),
	contract_type TEXT,
	value INTEGER,
	currency TEXT,
	start_date TEXT,
	end_date TEXT,
	signed INTEGER DEFAULT 0,
	owner_id INTEGER REFERENCES staff(id),
	assigned_to INTEGER REFERENCES staff(id),
	description TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	cf TEXT,
	cf_search TEXT
);
CREATE INDEX contract_org ON contract(org_id, id);
CREATE INDEX contract_client ON contract(org_id, client_id);
CREATE INDEX contract_owner ON contract(org_id, owner_id);
CREATE INDEX contract_assigned ON contract(org_id, assigned_to);
CREATE INDEX contract_end ON contract(org_id, end_date);
CREATE VIRTUAL TABLE contract_fts USING fts5(subject, contract_type, cf_search, content='contract',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER contract_fts_insert AFTER INSERT ON contract BEGIN
	INSERT INTO contract_fts (rowid, subject, contract_type, cf_search) VALUES (new.id, new.subject, new.contract_type, new.cf_search);
END;
CREATE TRIGGER contract_fts_delete AFTER DELETE ON contract BEGIN
	INSERT INTO contract_fts (contract_fts, rowid, subject, contract_type, cf_search)
		VALUES ('delete', old.id, old.subject, old.contract_type, old.cf_search);
END;
CREATE TRIGGER contract_fts_update AFTER UPDATE OF subject, contract_type, cf_search ON contract BEGIN
	INSERT INTO contract_fts (contract_fts, rowid, subject, contract_type, cf_search)
		VALUES ('delete', old.id, old.subject, old.contract_type, old.cf_search);
	INSERT INTO contract_fts (rowid, subject, contract_type, cf_search) VALUES (new.id, new.subject, new.contract_type, new.cf_search);
END;

CREATE TABLE project (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	name TEXT NOT NULL,
	client_id INTEGER REFERENCES client(id),
	status TEXT NOT NULL DEFAULT 'not_started',
	start_date TEXT,
	deadline TEXT,
	owner_id INTEGER REFERENCES staff(id),
	assigned_to INTEGER REFERENCES staff(id),
	description TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	cf TEXT,
	cf_search TEXT
);
CREATE INDEX project_org ON project(org_id, id);
CREATE INDEX project_client ON project(org_id, client_id);
CREATE INDEX project_status ON project(org_id, status);
CREATE INDEX project_owner ON project(org_id, owner_id);
CREATE INDEX project_assigned ON project(org_id, assigned_to);
CREATE VIRTUAL TABLE project_fts USING fts5(name, cf_search, content='project',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER project_fts_insert AFTER INSERT ON project BEGIN
	INSERT INTO project_fts (rowid, name, cf_search) VALUES (new.id, new.name, new.cf_search);
END;
CREATE TRIGGER project_fts_delete AFTER DELETE ON project BEGIN
	INSERT INTO project_fts (project_fts, rowid, name, cf_search)
		VALUES ('delete', old.id, old.name, old.cf_search);
END;
CREATE TRIGGER project_fts_update AFTER UPDATE OF name, cf_search ON project BEGIN
	INSERT INTO project_fts (project_fts, rowid, name, cf_search)
		VALUES ('delete', old.id, old.name, old.cf_search);
	INSERT INTO project_fts (rowid, name, cf_search) VALUES (new.id, new.name, new.cf_search);
END;
