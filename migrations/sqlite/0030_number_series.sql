-- 0030_number_series: the number series of finance documents (issue 13,
-- /admin/billing/config). One row per organisation and document kind
-- (invoice, proposal, credit_note, contract), made on first use with the
-- defaults of src/finance/number_series.c. The row is also the counter:
-- number_series_next updates it in the issuing document's transaction, so
-- a rolled-back issue gives its number back (gapless) and concurrent
-- issuers queue on the row (unique). period is the year (in the
-- organisation's time zone) of the last issue or of the administrator's
-- last change of next_number; last_number the last number handed out in
-- that period (0: none yet).
--
-- Issued numbers are unique where the documents live: contract.number,
-- unique per organisation (a partial index: drafts have none).

CREATE TABLE number_series (
	org_id INTEGER NOT NULL REFERENCES org(id),
	kind TEXT NOT NULL,
	prefix TEXT NOT NULL DEFAULT '',
	format TEXT NOT NULL,
	padding INTEGER NOT NULL,
	yearly_reset INTEGER NOT NULL DEFAULT 1,
	next_number INTEGER NOT NULL DEFAULT 1,
	last_number INTEGER NOT NULL DEFAULT 0,
	period INTEGER NOT NULL DEFAULT 0,
	version INTEGER NOT NULL DEFAULT 1,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (org_id, kind)
);

ALTER TABLE contract ADD COLUMN number TEXT;
CREATE UNIQUE INDEX contract_number ON contract(org_id, number)
	WHERE number IS NOT NULL;
