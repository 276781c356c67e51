-- 0031_invoices: invoices, their payments and credit notes (issue 13;
-- src/finance/invoice.c, payment.c, credit_note.c, document.h).
--
-- A document's lines are its `lines` column (JSON text, as typed, in a
-- canonical form) and everything computed from them is stored beside
-- them: line_amounts (JSON), subtotal, tax_total, total (integer cents),
-- taxes (JSON: each tax's name, rate and legal note as billed, with its
-- base and amount). An invoice's amount_paid, amount_credited and
-- balance_due follow its payments and issued credit notes in the same
-- transaction. `number` is given at issue (unique per organisation).
--
-- document_tax lists which taxes each draft or issued document uses, so
-- DELETE /api/v1/taxes/{id} refuses a tax in use (tax_uses) by an index
-- probe. Payments keep their invoice and payment mode (foreign keys: an
-- invoice with payments, or a mode payments name, is not deleted).

CREATE TABLE invoice (
	id INTEGER PRIMARY KEY,
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
);
CREATE VIRTUAL TABLE invoice_fts USING fts5(number, cf_search, content='invoice',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER invoice_fts_insert AFTER INSERT ON invoice BEGIN
	INSERT INTO invoice_fts (rowid, number, cf_search) VALUES (new.id, new.number, new.cf_search);
END;
CREATE TRIGGER invoice_fts_delete AFTER DELETE ON invoice BEGIN
	INSERT INTO invoice_fts (invoice_fts, rowid, number, cf_search)
		VALUES ('delete', old.id, old.number, old.cf_search);
END;
CREATE TRIGGER invoice_fts_update AFTER UPDATE OF number, cf_search ON invoice BEGIN
	INSERT INTO invoice_fts (invoice_fts, rowid, number, cf_search)
		VALUES ('delete', old.id, old.number, old.cf_search);
	INSERT INTO invoice_fts (rowid, number, cf_search) VALUES (new.id, new.number, new.cf_search);
END;
CREATE INDEX invoice_org ON invoice(org_id, id);
CREATE UNIQUE INDEX invoice_number ON invoice(org_id, number) WHERE number IS NOT NULL;
CREATE INDEX invoice_client ON invoice(org_id, client_id);
CREATE INDEX invoice_owner ON invoice(org_id, owner_id);
CREATE INDEX invoice_status ON invoice(org_id, status);
CREATE INDEX invoice_due ON invoice(status, due_date);

CREATE TABLE payment (
	id INTEGER PRIMARY KEY,
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
CREATE VIRTUAL TABLE payment_fts USING fts5(transaction_id, cf_search, content='payment',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER payment_fts_insert AFTER INSERT ON payment BEGIN
	INSERT INTO payment_fts (rowid, transaction_id, cf_search) VALUES (new.id, new.transaction_id, new.cf_search);
END;
CREATE TRIGGER payment_fts_delete AFTER DELETE ON payment BEGIN
	INSERT INTO payment_fts (payment_fts, rowid, transaction_id, cf_search)
		VALUES ('delete', old.id, old.transaction_id, old.cf_search);
END;
CREATE TRIGGER payment_fts_update AFTER UPDATE OF transaction_id, cf_search ON payment BEGIN
	INSERT INTO payment_fts (payment_fts, rowid, transaction_id, cf_search)
		VALUES ('delete', old.id, old.transaction_id, old.cf_search);
	INSERT INTO payment_fts (rowid, transaction_id, cf_search) VALUES (new.id, new.transaction_id, new.cf_search);
END;
CREATE INDEX payment_org ON payment(org_id, id);
CREATE INDEX payment_invoice ON payment(org_id, invoice_id);
CREATE INDEX payment_owner ON payment(org_id, recorded_by);
CREATE INDEX payment_mode_used ON payment(payment_mode_id);

CREATE TABLE credit_note (
	id INTEGER PRIMARY KEY,
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
);
CREATE VIRTUAL TABLE credit_note_fts USING fts5(number, reason, cf_search, content='credit_note',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER credit_note_fts_insert AFTER INSERT ON credit_note BEGIN
	INSERT INTO credit_note_fts (rowid, number, reason, cf_search) VALUES (new.id, new.number, new.reason, new.cf_search);
END;
CREATE TRIGGER credit_note_fts_delete AFTER DELETE ON credit_note BEGIN
	INSERT INTO credit_note_fts (credit_note_fts, rowid, number, reason, cf_search)
		VALUES ('delete', old.id, old.number, old.reason, old.cf_search);
END;
CREATE TRIGGER credit_note_fts_update AFTER UPDATE OF number, reason, cf_search ON credit_note BEGIN
	INSERT INTO credit_note_fts (credit_note_fts, rowid, number, reason, cf_search)
		VALUES ('delete', old.id, old.number, old.reason, old.cf_search);
	INSERT INTO credit_note_fts (rowid, number, reason, cf_search) VALUES (new.id, new.number, new.reason, new.cf_search);
END;
CREATE INDEX credit_note_org ON credit_note(org_id, id);
CREATE UNIQUE INDEX credit_note_number ON credit_note(org_id, number) WHERE number IS NOT NULL;
CREATE INDEX credit_note_invoice ON credit_note(org_id, invoice_id);
CREATE INDEX credit_note_client ON credit_note(org_id, client_id);
CREATE INDEX credit_note_owner ON credit_note(org_id, owner_id);

CREATE TABLE document_tax (
	org_id INTEGER NOT NULL REFERENCES org(id),
	doc TEXT NOT NULL,
	doc_id INTEGER NOT NULL,
	tax_id INTEGER NOT NULL REFERENCES tax(id),
	PRIMARY KEY (org_id, doc, doc_id, tax_id)
);
CREATE INDEX document_tax_tax ON document_tax(org_id, tax_id);
