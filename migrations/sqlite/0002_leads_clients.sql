-- 0002_leads_clients: the first two CRM entities of the registry.
CREATE TABLE lead (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	name TEXT NOT NULL,
	company TEXT,
	email TEXT,
	phone TEXT,
	source TEXT,
	status TEXT NOT NULL DEFAULT 'new',
	value INTEGER,
	currency TEXT,
	assigned_to INTEGER REFERENCES staff(id),
	owner_id INTEGER REFERENCES staff(id),
	notes TEXT,
	tags TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX lead_org ON lead(org_id, id);
CREATE INDEX lead_status ON lead(org_id, status);
CREATE INDEX lead_assigned ON lead(org_id, assigned_to);
CREATE INDEX lead_owner ON lead(org_id, owner_id);

CREATE TABLE client (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	company TEXT NOT NULL,
	vat_number TEXT,
	registration_number TEXT,
	address TEXT,
	city TEXT,
	country TEXT,
	phone TEXT,
	website TEXT,
	default_currency TEXT,
	owner_id INTEGER REFERENCES staff(id),
	assigned_to INTEGER REFERENCES staff(id),
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX client_org ON client(org_id, id);
CREATE INDEX client_owner ON client(org_id, owner_id);
CREATE INDEX client_assigned ON client(org_id, assigned_to);

-- Row counts per organisation and entity, kept in the transaction of each
-- create and delete, so an unfiltered list answers its total without a scan.
CREATE TABLE entity_count (
	org_id INTEGER NOT NULL,
	entity TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (org_id, entity)
);
