-- 0032_proposals: proposals, an offer to a client with lines, taxes and
-- totals like an invoice's (issue 13; src/finance/proposal.c,
-- document.h).
--
-- The lines and their figures are stored as an invoice's (0031): `lines`
-- as typed in canonical form, line_amounts and taxes as JSON, subtotal,
-- tax_total and total in integer cents; document_tax lists the taxes a
-- proposal uses (doc = 'proposal'), so a tax in use is not deleted.
-- `number` is given when the proposal is first sent (unique per
-- organisation). invoice_id is the invoice the proposal became: the
-- link lives here, invoice has nothing new (and the invoice is not
-- deleted while a proposal refers to it).

CREATE TABLE proposal (
	id INTEGER PRIMARY KEY,
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
);
CREATE VIRTUAL TABLE proposal_fts USING fts5(number, subject, cf_search, content='proposal',
	content_rowid='id', tokenize='trigram');
CREATE TRIGGER proposal_fts_insert AFTER INSERT ON proposal BEGIN
	INSERT INTO proposal_fts (rowid, number, subject, cf_search) VALUES (new.id, new.number, new.subject, new.cf_search);
END;
CREATE TRIGGER proposal_fts_delete AFTER DELETE ON proposal BEGIN
	INSERT INTO proposal_fts (proposal_fts, rowid, number, subject, cf_search)
		VALUES ('delete', old.id, old.number, old.subject, old.cf_search);
END;
CREATE TRIGGER proposal_fts_update AFTER UPDATE OF number, subject, cf_search ON proposal BEGIN
	INSERT INTO proposal_fts (proposal_fts, rowid, number, subject, cf_search)
		VALUES ('delete', old.id, old.number, old.subject, old.cf_search);
	INSERT INTO proposal_fts (rowid, number, subject, cf_search) VALUES (new.id, new.number, new.subject, new.cf_search);
END;
CREATE INDEX proposal_org ON proposal(org_id, id);
CREATE UNIQUE INDEX proposal_number ON proposal(org_id, number) WHERE number IS NOT NULL;
CREATE INDEX proposal_client ON proposal(org_id, client_id);
CREATE INDEX proposal_owner ON proposal(org_id, owner_id);
CREATE INDEX proposal_status ON proposal(org_id, status);
CREATE INDEX proposal_open_till ON proposal(status, open_till);
CREATE INDEX proposal_invoice ON proposal(invoice_id);
