-- 0029_finance_config: the financial configuration of an organisation
-- (spec, Step 3: /admin/taxes, /admin/currencies, /admin/paymentmodes;
-- src/admin/tax.c, currency.c, currency_rate.c, payment_mode.c).
--
-- Exact decimals are integers at rest (core/validate.h FT_DECIMAL): a tax
-- rate in thousandths of a percent (19.5 % is 19500), an exchange rate in
-- millionths (4.975300 is 4975300). Names are unique per organisation
-- whatever their letter case, as department and role names (0012).
--
-- The base currency is not a column: it is the organisation's
-- `default_currency` setting (Settings > Localization), one value, so
-- there is exactly one. A rate records the base it was entered against
-- (base_code): after the base changes, older rates stay in the history
-- but no conversion uses them. A currency with rates is never deleted
-- (deactivated instead), so its history stays.

CREATE TABLE tax (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	name TEXT NOT NULL,
	rate INTEGER NOT NULL CHECK (rate >= 0 AND rate <= 100000),
	reverse_charge INTEGER NOT NULL DEFAULT 0,
	legal_note TEXT,
	active INTEGER NOT NULL DEFAULT 1,
	created_by INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	CHECK (reverse_charge = 0 OR rate = 0)
);
CREATE UNIQUE INDEX tax_name_ci ON tax(org_id, lower(name));

CREATE TABLE currency (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	code TEXT NOT NULL,
	symbol TEXT NOT NULL,
	symbol_position TEXT NOT NULL DEFAULT 'before'
		CHECK (symbol_position IN ('before', 'after')),
	decimals INTEGER NOT NULL CHECK (decimals >= 0 AND decimals <= 4),
	active INTEGER NOT NULL DEFAULT 1,
	created_by INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	UNIQUE (org_id, code)
);

CREATE TABLE currency_rate (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	currency_id INTEGER NOT NULL REFERENCES currency(id),
	base_code TEXT NOT NULL,
	rate INTEGER NOT NULL CHECK (rate > 0),
	valid_on TEXT NOT NULL,
	created_by INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	UNIQUE (org_id, currency_id, base_code, valid_on)
);

CREATE TABLE payment_mode (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	name TEXT NOT NULL,
	description TEXT,
	kind TEXT NOT NULL DEFAULT 'offline' CHECK (kind IN ('online', 'offline')),
	active INTEGER NOT NULL DEFAULT 1,
	show_on_documents INTEGER NOT NULL DEFAULT 1,
	is_default INTEGER NOT NULL DEFAULT 0,
	created_by INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	CHECK (is_default = 0 OR active = 1)
);
CREATE UNIQUE INDEX payment_mode_name_ci ON payment_mode(org_id, lower(name));
-- At most one default per organisation, whatever races the API loses.
CREATE UNIQUE INDEX payment_mode_default ON payment_mode(org_id)
	WHERE is_default = 1;
