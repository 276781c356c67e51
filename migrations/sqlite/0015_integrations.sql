-- 0014_integrations: API tokens with key roles, webhooks and their
-- deliveries, the API request log (issue 10).

-- An API token: a staff member's credential for an integration. Only the
-- hash of the secret is stored (auth/api_token.h); `permissions` is the
-- key role, a matrix {module: [caps]} that narrows the owner's grants
-- (NULL: the owner's grants as they are).
CREATE TABLE api_token (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	staff_id INTEGER NOT NULL REFERENCES staff(id),
	name TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	prefix TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	permissions TEXT,
	allowed_networks TEXT,
	rate_limit INTEGER NOT NULL,
	expires_at TEXT,
	revoked_at TEXT,
	revoked_reason TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	last_used_at TEXT,
	last_used_ip TEXT
);
CREATE INDEX api_token_org ON api_token(org_id, id);
CREATE INDEX api_token_staff ON api_token(staff_id);

-- Requests per token per UTC day, added up in batches (not per request).
CREATE TABLE api_token_usage (
	token_id INTEGER NOT NULL REFERENCES api_token(id) ON DELETE CASCADE,
	day TEXT NOT NULL,
	requests INTEGER NOT NULL,
	PRIMARY KEY (token_id, day)
);

-- A webhook endpoint. `secret` (and `previous_secret` during a
-- rotation's overlap) are encrypted under the master key.
CREATE TABLE webhook (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	name TEXT NOT NULL,
	url TEXT NOT NULL,
	entities TEXT NOT NULL,
	events TEXT NOT NULL,
	secret TEXT NOT NULL,
	previous_secret TEXT,
	previous_until TEXT,
	active INTEGER NOT NULL DEFAULT 1,
	debug_until TEXT,
	disabled_reason TEXT,
	failure_streak INTEGER NOT NULL DEFAULT 0,
	created_by INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX webhook_org ON webhook(org_id, id);

-- One event (or test message) for one endpoint: the unit of delivery,
-- with the stable webhook-id receivers de-duplicate on.
CREATE TABLE webhook_delivery (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL,
	webhook_id INTEGER NOT NULL REFERENCES webhook(id) ON DELETE CASCADE,
	event_id INTEGER,
	event_type TEXT NOT NULL,
	msg_id TEXT NOT NULL,
	order_key TEXT NOT NULL,
	status TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	job_id INTEGER,
	last_status_code INTEGER,
	last_error TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	delivered_at TEXT,
	UNIQUE (webhook_id, event_id, event_type)
);
CREATE INDEX webhook_delivery_hook ON webhook_delivery(webhook_id, id);
CREATE INDEX webhook_delivery_org ON webhook_delivery(org_id, id);

-- Each HTTP attempt of a delivery: the delivery log. Bodies only while
-- the endpoint's debug mode is on, cut to a bound.
CREATE TABLE webhook_attempt (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL,
	webhook_id INTEGER NOT NULL REFERENCES webhook(id) ON DELETE CASCADE,
	delivery_id INTEGER NOT NULL REFERENCES webhook_delivery(id)
		ON DELETE CASCADE,
	attempt INTEGER NOT NULL,
	at TEXT NOT NULL,
	status_code INTEGER,
	duration_ms INTEGER NOT NULL,
	error TEXT,
	request_body TEXT,
	response_body TEXT
);
CREATE INDEX webhook_attempt_delivery ON webhook_attempt(delivery_id, id);
CREATE INDEX webhook_attempt_hook ON webhook_attempt(webhook_id, id);
CREATE INDEX webhook_attempt_at ON webhook_attempt(at);

-- The API request log: no bodies, no secrets.
CREATE TABLE api_request_log (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL,
	at TEXT NOT NULL,
	method TEXT NOT NULL,
	path TEXT NOT NULL,
	status INTEGER NOT NULL,
	duration_ms INTEGER NOT NULL,
	staff_id INTEGER,
	token_id INTEGER,
	session_id INTEGER,
	ip TEXT NOT NULL,
	request_id TEXT NOT NULL
);
CREATE INDEX api_request_log_org ON api_request_log(org_id, id);
CREATE INDEX api_request_log_at ON api_request_log(at);

-- The events feed pages an organisation's events by id.
CREATE INDEX event_org ON event(org_id, id);
