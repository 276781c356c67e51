-- 0004_email: the outbound email queue (transactional outbox for mail).
-- A row is written in the transaction of the change that causes it; the
-- worker of `atrium serve` claims due rows ('queued' -> 'sending'), sends
-- them and marks them 'sent', or retries with backoff until max_attempts,
-- then 'blocked'. locked_until is the claim's lease: a 'sending' row whose
-- lease passed (its node died mid-send) is claimed again.
-- Times are ISO 8601 UTC text with milliseconds (fixed width, so they
-- compare as text). body_text is stored encrypted ("v1:...", see
-- src/core/secret.h) because invitation links carry one-time tokens.
CREATE TABLE email_queue (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	to_addr TEXT NOT NULL,
	subject TEXT NOT NULL,
	body_text TEXT NOT NULL,
	template TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'queued'
		CHECK (status IN ('queued', 'sending', 'sent', 'blocked')),
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL,
	last_error TEXT,
	created_at TEXT NOT NULL,
	sent_at TEXT,
	locked_until TEXT
);
CREATE INDEX email_queue_due ON email_queue(status, next_attempt_at);
CREATE INDEX email_queue_org ON email_queue(org_id, status, id);
