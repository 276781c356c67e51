-- 0061_ids_never_reused_records: the tables made after 0006 get
-- AUTOINCREMENT too, so SQLite never hands out an id again once its row is
-- deleted. Without it, deleting the newest ticket (or task, contact,
-- contract, project, invoice, payment, credit note, proposal, reply,
-- attachment...) gave its id to the next one: the record's activity
-- history, its events and anything an integration kept by id then named
-- two records.
--
-- Rebuilt as 0006 rebuilt the first tables (https://sqlite.org/lang_altertable.html:
-- new table, copy, drop, rename, then the table's indexes and triggers,
-- which DROP TABLE removed), with foreign keys off (migrate.c runs
-- PRAGMA foreign_key_check before it commits). Each CREATE TABLE is the
-- table as migrations 0001-0060 left it, columns in the same order, so
-- INSERT ... SELECT * copies every row unchanged; the first copied row
-- sets the table's sqlite_sequence to its largest id. Singletons and
-- tables keyed by another row's id (audit_head, staff_totp, sched_state,
-- key_check, portal_account, audit_cut, backup_schedule, gdpr_export,
-- org_deleted) keep their keys. PostgreSQL's identity columns never reuse
-- a value: migrations/pg/0061 changes nothing.
-- atrium: foreign-keys-off

-- contact
CREATE TABLE new_contact (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
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
, portal_access INTEGER DEFAULT 0, portal_tickets INTEGER DEFAULT 1, portal_contracts INTEGER DEFAULT 1, portal_projects INTEGER DEFAULT 1);
INSERT INTO new_contact SELECT * FROM contact;
DROP TABLE contact;
ALTER TABLE new_contact RENAME TO contact;
CREATE INDEX contact_client ON contact(org_id, client_id);
CREATE UNIQUE INDEX contact_email_ci ON contact(org_id, lower(email));
CREATE INDEX contact_org ON contact(org_id, id);
CREATE INDEX contact_owner ON contact(org_id, owner_id);
CREATE TRIGGER contact_fts_delete AFTER DELETE ON contact BEGIN
	INSERT INTO contact_fts (contact_fts, rowid, first_name, last_name, email, phone, position, cf_search)
		VALUES ('delete', old.id, old.first_name, old.last_name, old.email, old.phone, old.position, old.cf_search);
END;
CREATE TRIGGER contact_fts_insert AFTER INSERT ON contact BEGIN
	INSERT INTO contact_fts (rowid, first_name, last_name, email, phone, position, cf_search) VALUES (new.id, new.first_name, new.last_name, new.email, new.phone, new.position, new.cf_search);
END;
CREATE TRIGGER contact_fts_update AFTER UPDATE OF first_name, last_name, email, phone, position, cf_search ON contact BEGIN
	INSERT INTO contact_fts (contact_fts, rowid, first_name, last_name, email, phone, position, cf_search)
		VALUES ('delete', old.id, old.first_name, old.last_name, old.email, old.phone, old.position, old.cf_search);
	INSERT INTO contact_fts (rowid, first_name, last_name, email, phone, position, cf_search) VALUES (new.id, new.first_name, new.last_name, new.email, new.phone, new.position, new.cf_search);
END;

-- contract
CREATE TABLE new_contract (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
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
, number TEXT);
INSERT INTO new_contract SELECT * FROM contract;
DROP TABLE contract;
ALTER TABLE new_contract RENAME TO contract;
CREATE INDEX contract_assigned ON contract(org_id, assigned_to) WHERE assigned_to IS NOT NULL;
CREATE INDEX contract_client ON contract(org_id, client_id);
CREATE INDEX contract_end ON contract(org_id, end_date);
CREATE UNIQUE INDEX contract_number ON contract(org_id, number)
	WHERE number IS NOT NULL;
CREATE INDEX contract_org ON contract(org_id, id);
CREATE INDEX contract_owner ON contract(org_id, owner_id);
CREATE TRIGGER contract_fts_delete AFTER DELETE ON contract BEGIN
	INSERT INTO contract_fts (contract_fts, rowid, subject, contract_type, cf_search)
		VALUES ('delete', old.id, old.subject, old.contract_type, old.cf_search);
END;
CREATE TRIGGER contract_fts_insert AFTER INSERT ON contract BEGIN
	INSERT INTO contract_fts (rowid, subject, contract_type, cf_search) VALUES (new.id, new.subject, new.contract_type, new.cf_search);
END;
CREATE TRIGGER contract_fts_update AFTER UPDATE OF subject, contract_type, cf_search ON contract BEGIN
	INSERT INTO contract_fts (contract_fts, rowid, subject, contract_type, cf_search)
		VALUES ('delete', old.id, old.subject, old.contract_type, old.cf_search);
	INSERT INTO contract_fts (rowid, subject, contract_type, cf_search) VALUES (new.id, new.subject, new.contract_type, new.cf_search);
END;

-- project
CREATE TABLE new_project (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO new_project SELECT * FROM project;
DROP TABLE project;
ALTER TABLE new_project RENAME TO project;
CREATE INDEX project_assigned ON project(org_id, assigned_to) WHERE assigned_to IS NOT NULL;
CREATE INDEX project_client ON project(org_id, client_id);
CREATE INDEX project_org ON project(org_id, id);
CREATE INDEX project_owner ON project(org_id, owner_id);
CREATE INDEX project_status ON project(org_id, status);
CREATE TRIGGER project_fts_delete AFTER DELETE ON project BEGIN
	INSERT INTO project_fts (project_fts, rowid, name, cf_search)
		VALUES ('delete', old.id, old.name, old.cf_search);
END;
CREATE TRIGGER project_fts_insert AFTER INSERT ON project BEGIN
	INSERT INTO project_fts (rowid, name, cf_search) VALUES (new.id, new.name, new.cf_search);
END;
CREATE TRIGGER project_fts_update AFTER UPDATE OF name, cf_search ON project BEGIN
	INSERT INTO project_fts (project_fts, rowid, name, cf_search)
		VALUES ('delete', old.id, old.name, old.cf_search);
	INSERT INTO project_fts (rowid, name, cf_search) VALUES (new.id, new.name, new.cf_search);
END;

-- task
CREATE TABLE new_task (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	subject TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'not_started',
	priority TEXT NOT NULL DEFAULT 'medium',
	start_date TEXT,
	due_date TEXT,
	owner_id INTEGER REFERENCES staff(id),
	rel_type TEXT,
	rel_id INTEGER,
	description TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	cf TEXT,
	cf_search TEXT
);
INSERT INTO new_task SELECT * FROM task;
DROP TABLE task;
ALTER TABLE new_task RENAME TO task;
CREATE INDEX task_due ON task(org_id, due_date);
CREATE INDEX task_org ON task(org_id, id);
CREATE INDEX task_owner ON task(org_id, owner_id);
CREATE INDEX task_rel ON task(org_id, rel_type, rel_id);
CREATE TRIGGER task_fts_delete AFTER DELETE ON task BEGIN
	INSERT INTO task_fts (task_fts, rowid, subject, cf_search)
		VALUES ('delete', old.id, old.subject, old.cf_search);
END;
CREATE TRIGGER task_fts_insert AFTER INSERT ON task BEGIN
	INSERT INTO task_fts (rowid, subject, cf_search) VALUES (new.id, new.subject, new.cf_search);
END;
CREATE TRIGGER task_fts_update AFTER UPDATE OF subject, cf_search ON task BEGIN
	INSERT INTO task_fts (task_fts, rowid, subject, cf_search)
		VALUES ('delete', old.id, old.subject, old.cf_search);
	INSERT INTO task_fts (rowid, subject, cf_search) VALUES (new.id, new.subject, new.cf_search);
END;

-- ticket
CREATE TABLE new_ticket (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	subject TEXT NOT NULL,
	department_id INTEGER REFERENCES department(id),
	contact_id INTEGER REFERENCES contact(id),
	client_id INTEGER REFERENCES client(id),
	priority TEXT NOT NULL DEFAULT 'medium',
	status TEXT NOT NULL DEFAULT 'open',
	assigned_to INTEGER REFERENCES staff(id),
	owner_id INTEGER REFERENCES staff(id),
	message TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	cf TEXT,
	cf_search TEXT
);
INSERT INTO new_ticket SELECT * FROM ticket;
DROP TABLE ticket;
ALTER TABLE new_ticket RENAME TO ticket;
CREATE INDEX ticket_assigned ON ticket(org_id, assigned_to) WHERE assigned_to IS NOT NULL;
CREATE INDEX ticket_client ON ticket(org_id, client_id);
CREATE INDEX ticket_contact ON ticket(org_id, contact_id);
CREATE INDEX ticket_department ON ticket(org_id, department_id) WHERE department_id IS NOT NULL;
CREATE INDEX ticket_org ON ticket(org_id, id);
CREATE INDEX ticket_owner ON ticket(org_id, owner_id);
CREATE INDEX ticket_status ON ticket(org_id, status);
CREATE TRIGGER ticket_fts_delete AFTER DELETE ON ticket BEGIN
	INSERT INTO ticket_fts (ticket_fts, rowid, subject, cf_search)
		VALUES ('delete', old.id, old.subject, old.cf_search);
END;
CREATE TRIGGER ticket_fts_insert AFTER INSERT ON ticket BEGIN
	INSERT INTO ticket_fts (rowid, subject, cf_search) VALUES (new.id, new.subject, new.cf_search);
END;
CREATE TRIGGER ticket_fts_update AFTER UPDATE OF subject, cf_search ON ticket BEGIN
	INSERT INTO ticket_fts (ticket_fts, rowid, subject, cf_search)
		VALUES ('delete', old.id, old.subject, old.cf_search);
	INSERT INTO ticket_fts (rowid, subject, cf_search) VALUES (new.id, new.subject, new.cf_search);
END;

-- ticket_reply
CREATE TABLE new_ticket_reply (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	ticket_id INTEGER NOT NULL REFERENCES ticket(id) ON DELETE CASCADE,
	internal INTEGER NOT NULL DEFAULT 0,
	body TEXT NOT NULL,
	author_id INTEGER REFERENCES staff(id) ON DELETE SET NULL,
	author_name TEXT,
	created_at TEXT NOT NULL
, contact_id INTEGER REFERENCES contact(id) ON DELETE SET NULL, source TEXT NOT NULL DEFAULT 'staff');
INSERT INTO new_ticket_reply SELECT * FROM ticket_reply;
DROP TABLE ticket_reply;
ALTER TABLE new_ticket_reply RENAME TO ticket_reply;
CREATE INDEX ticket_reply_thread ON ticket_reply(org_id, ticket_id, id);

-- ticket_attachment
CREATE TABLE new_ticket_attachment (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	ticket_id INTEGER NOT NULL REFERENCES ticket(id) ON DELETE CASCADE,
	reply_id INTEGER REFERENCES ticket_reply(id) ON DELETE SET NULL,
	filename TEXT NOT NULL,
	content_type TEXT NOT NULL,
	bytes INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	data BLOB NOT NULL,
	staff_id INTEGER REFERENCES staff(id) ON DELETE SET NULL,
	contact_id INTEGER REFERENCES contact(id) ON DELETE SET NULL,
	created_at TEXT NOT NULL
);
INSERT INTO new_ticket_attachment SELECT * FROM ticket_attachment;
DROP TABLE ticket_attachment;
ALTER TABLE new_ticket_attachment RENAME TO ticket_attachment;
CREATE INDEX ticket_attachment_ticket ON ticket_attachment(org_id, ticket_id, id);

-- pipe_log
CREATE TABLE new_pipe_log (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	received_at TEXT NOT NULL,
	message_id TEXT,
	from_addr TEXT,
	to_addr TEXT,
	subject TEXT,
	result TEXT NOT NULL,
	detail TEXT,
	ticket_id INTEGER,
	bytes INTEGER NOT NULL DEFAULT 0
);
INSERT INTO new_pipe_log SELECT * FROM pipe_log;
DROP TABLE pipe_log;
ALTER TABLE new_pipe_log RENAME TO pipe_log;
CREATE INDEX pipe_log_org ON pipe_log(org_id, id);
CREATE INDEX pipe_log_result ON pipe_log(org_id, result, id);

-- portal_session
CREATE TABLE new_portal_session (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	contact_id INTEGER NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
	token_hash TEXT NOT NULL UNIQUE,
	stage TEXT NOT NULL DEFAULT 'full',
	idle_minutes INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	ip TEXT,
	user_agent TEXT
);
INSERT INTO new_portal_session SELECT * FROM portal_session;
DROP TABLE portal_session;
ALTER TABLE new_portal_session RENAME TO portal_session;
CREATE INDEX portal_session_contact ON portal_session(contact_id);

-- portal_token
CREATE TABLE new_portal_token (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	contact_id INTEGER NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
	purpose TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	used_at TEXT
);
INSERT INTO new_portal_token SELECT * FROM portal_token;
DROP TABLE portal_token;
ALTER TABLE new_portal_token RENAME TO portal_token;
CREATE INDEX portal_token_contact ON portal_token(contact_id, purpose);

-- portal_password_history
CREATE TABLE new_portal_password_history (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	contact_id INTEGER NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
	password_hash TEXT NOT NULL,
	created_at TEXT NOT NULL
);
INSERT INTO new_portal_password_history SELECT * FROM portal_password_history;
DROP TABLE portal_password_history;
ALTER TABLE new_portal_password_history RENAME TO portal_password_history;
CREATE INDEX portal_password_history_contact ON portal_password_history(contact_id, id);

-- email_change
CREATE TABLE new_email_change (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	staff_id INTEGER NOT NULL UNIQUE REFERENCES staff(id) ON DELETE CASCADE,
	new_email TEXT NOT NULL,
	old_token_hash TEXT NOT NULL UNIQUE,
	new_token_hash TEXT NOT NULL UNIQUE,
	old_confirmed_at TEXT,
	new_confirmed_at TEXT,
	expires_at TEXT NOT NULL,
	created_at TEXT NOT NULL
);
INSERT INTO new_email_change SELECT * FROM email_change;
DROP TABLE email_change;
ALTER TABLE new_email_change RENAME TO email_change;

-- invoice
CREATE TABLE new_invoice (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	number TEXT,
	client_id INTEGER NOT NULL REFERENCES client(id),
	contact_id INTEGER REFERENCES contact(id),
	status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'issued', 'sent', 'partially_paid', 'paid', 'overdue', 'cancelled')),
	currency TEXT NOT NULL,
	issue_date TEXT,
	due_date TEXT,
	lines TEXT,
	line_amounts TEXT,
	subtotal INTEGER NOT NULL DEFAULT 0,
	tax_total INTEGER NOT NULL DEFAULT 0,
	total INTEGER NOT NULL DEFAULT 0,
	taxes TEXT,
	amount_paid INTEGER NOT NULL DEFAULT 0,
	amount_credited INTEGER NOT NULL DEFAULT 0,
	balance_due INTEGER NOT NULL DEFAULT 0,
	owner_id INTEGER REFERENCES staff(id),
	notes TEXT,
	terms TEXT,
	issued_at TEXT,
	sent_at TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	cf TEXT,
	cf_search TEXT
, sent_to TEXT);
INSERT INTO new_invoice SELECT * FROM invoice;
DROP TABLE invoice;
ALTER TABLE new_invoice RENAME TO invoice;
CREATE INDEX invoice_client ON invoice(org_id, client_id);
CREATE INDEX invoice_due ON invoice(status, due_date);
CREATE UNIQUE INDEX invoice_number ON invoice(org_id, number) WHERE number IS NOT NULL;
CREATE INDEX invoice_org ON invoice(org_id, id);
CREATE INDEX invoice_owner ON invoice(org_id, owner_id);
CREATE INDEX invoice_status ON invoice(org_id, status);
CREATE TRIGGER invoice_fts_delete AFTER DELETE ON invoice BEGIN
	INSERT INTO invoice_fts (invoice_fts, rowid, number, cf_search)
		VALUES ('delete', old.id, old.number, old.cf_search);
END;
CREATE TRIGGER invoice_fts_insert AFTER INSERT ON invoice BEGIN
	INSERT INTO invoice_fts (rowid, number, cf_search) VALUES (new.id, new.number, new.cf_search);
END;
CREATE TRIGGER invoice_fts_update AFTER UPDATE OF number, cf_search ON invoice BEGIN
	INSERT INTO invoice_fts (invoice_fts, rowid, number, cf_search)
		VALUES ('delete', old.id, old.number, old.cf_search);
	INSERT INTO invoice_fts (rowid, number, cf_search) VALUES (new.id, new.number, new.cf_search);
END;

-- payment
CREATE TABLE new_payment (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	invoice_id INTEGER NOT NULL REFERENCES invoice(id),
	kind TEXT NOT NULL DEFAULT 'payment' CHECK (kind IN ('payment', 'refund')),
	amount INTEGER NOT NULL CHECK (amount > 0),
	date TEXT,
	payment_mode_id INTEGER REFERENCES payment_mode(id),
	transaction_id TEXT,
	note TEXT,
	recorded_by INTEGER REFERENCES staff(id),
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	cf TEXT,
	cf_search TEXT
);
INSERT INTO new_payment SELECT * FROM payment;
DROP TABLE payment;
ALTER TABLE new_payment RENAME TO payment;
CREATE INDEX payment_invoice ON payment(org_id, invoice_id);
CREATE INDEX payment_mode_used ON payment(payment_mode_id);
CREATE INDEX payment_org ON payment(org_id, id);
CREATE INDEX payment_owner ON payment(org_id, recorded_by);
CREATE TRIGGER payment_fts_delete AFTER DELETE ON payment BEGIN
	INSERT INTO payment_fts (payment_fts, rowid, transaction_id, cf_search)
		VALUES ('delete', old.id, old.transaction_id, old.cf_search);
END;
CREATE TRIGGER payment_fts_insert AFTER INSERT ON payment BEGIN
	INSERT INTO payment_fts (rowid, transaction_id, cf_search) VALUES (new.id, new.transaction_id, new.cf_search);
END;
CREATE TRIGGER payment_fts_update AFTER UPDATE OF transaction_id, cf_search ON payment BEGIN
	INSERT INTO payment_fts (payment_fts, rowid, transaction_id, cf_search)
		VALUES ('delete', old.id, old.transaction_id, old.cf_search);
	INSERT INTO payment_fts (rowid, transaction_id, cf_search) VALUES (new.id, new.transaction_id, new.cf_search);
END;

-- credit_note
CREATE TABLE new_credit_note (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	number TEXT,
	invoice_id INTEGER NOT NULL REFERENCES invoice(id),
	client_id INTEGER REFERENCES client(id),
	status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'issued')),
	currency TEXT,
	issue_date TEXT,
	reason TEXT,
	lines TEXT,
	line_amounts TEXT,
	subtotal INTEGER NOT NULL DEFAULT 0,
	tax_total INTEGER NOT NULL DEFAULT 0,
	total INTEGER NOT NULL DEFAULT 0,
	taxes TEXT,
	owner_id INTEGER REFERENCES staff(id),
	issued_at TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	cf TEXT,
	cf_search TEXT
, sent_at TEXT, sent_to TEXT);
INSERT INTO new_credit_note SELECT * FROM credit_note;
DROP TABLE credit_note;
ALTER TABLE new_credit_note RENAME TO credit_note;
CREATE INDEX credit_note_client ON credit_note(org_id, client_id);
CREATE INDEX credit_note_invoice ON credit_note(org_id, invoice_id);
CREATE UNIQUE INDEX credit_note_number ON credit_note(org_id, number) WHERE number IS NOT NULL;
CREATE INDEX credit_note_org ON credit_note(org_id, id);
CREATE INDEX credit_note_owner ON credit_note(org_id, owner_id);
CREATE TRIGGER credit_note_fts_delete AFTER DELETE ON credit_note BEGIN
	INSERT INTO credit_note_fts (credit_note_fts, rowid, number, reason, cf_search)
		VALUES ('delete', old.id, old.number, old.reason, old.cf_search);
END;
CREATE TRIGGER credit_note_fts_insert AFTER INSERT ON credit_note BEGIN
	INSERT INTO credit_note_fts (rowid, number, reason, cf_search) VALUES (new.id, new.number, new.reason, new.cf_search);
END;
CREATE TRIGGER credit_note_fts_update AFTER UPDATE OF number, reason, cf_search ON credit_note BEGIN
	INSERT INTO credit_note_fts (credit_note_fts, rowid, number, reason, cf_search)
		VALUES ('delete', old.id, old.number, old.reason, old.cf_search);
	INSERT INTO credit_note_fts (rowid, number, reason, cf_search) VALUES (new.id, new.number, new.reason, new.cf_search);
END;

-- proposal
CREATE TABLE new_proposal (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	number TEXT,
	subject TEXT NOT NULL,
	client_id INTEGER NOT NULL REFERENCES client(id),
	contact_id INTEGER REFERENCES contact(id),
	status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sent', 'accepted', 'declined', 'expired', 'invoiced')),
	currency TEXT NOT NULL,
	date TEXT,
	open_till TEXT,
	lines TEXT,
	line_amounts TEXT,
	subtotal INTEGER NOT NULL DEFAULT 0,
	tax_total INTEGER NOT NULL DEFAULT 0,
	total INTEGER NOT NULL DEFAULT 0,
	taxes TEXT,
	owner_id INTEGER REFERENCES staff(id),
	notes TEXT,
	terms TEXT,
	invoice_id INTEGER REFERENCES invoice(id),
	sent_at TEXT,
	accepted_at TEXT,
	declined_at TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	cf TEXT,
	cf_search TEXT
, sent_to TEXT);
INSERT INTO new_proposal SELECT * FROM proposal;
DROP TABLE proposal;
ALTER TABLE new_proposal RENAME TO proposal;
CREATE INDEX proposal_client ON proposal(org_id, client_id);
CREATE INDEX proposal_invoice ON proposal(invoice_id);
CREATE UNIQUE INDEX proposal_number ON proposal(org_id, number) WHERE number IS NOT NULL;
CREATE INDEX proposal_open_till ON proposal(status, open_till);
CREATE INDEX proposal_org ON proposal(org_id, id);
CREATE INDEX proposal_owner ON proposal(org_id, owner_id);
CREATE INDEX proposal_status ON proposal(org_id, status);
CREATE TRIGGER proposal_fts_delete AFTER DELETE ON proposal BEGIN
	INSERT INTO proposal_fts (proposal_fts, rowid, number, subject, cf_search)
		VALUES ('delete', old.id, old.number, old.subject, old.cf_search);
END;
CREATE TRIGGER proposal_fts_insert AFTER INSERT ON proposal BEGIN
	INSERT INTO proposal_fts (rowid, number, subject, cf_search) VALUES (new.id, new.number, new.subject, new.cf_search);
END;
CREATE TRIGGER proposal_fts_update AFTER UPDATE OF number, subject, cf_search ON proposal BEGIN
	INSERT INTO proposal_fts (proposal_fts, rowid, number, subject, cf_search)
		VALUES ('delete', old.id, old.number, old.subject, old.cf_search);
	INSERT INTO proposal_fts (rowid, number, subject, cf_search) VALUES (new.id, new.number, new.subject, new.cf_search);
END;
