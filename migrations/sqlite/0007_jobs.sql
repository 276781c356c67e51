-- 0007_jobs: the job runner, the scheduler, and the email queue on the
-- runner (src/jobs/jobs.h, docs/internals/jobs.md).
--
-- job: one row per unit of background work. status: queued (waiting for
-- run_at), running (claimed: lease_owner holds it until lease_until; a
-- lease that ran out belongs to a dead worker and is claimed again), done,
-- blocked (gave up after the kind's attempt limit, until retried).
-- attempts counts claims, so a job that kills its worker every time ends
-- blocked too. scheduled_at is when run_at was last set: a run_at further
-- ahead than the clock allows (scheduled_at in the future: the clock went
-- back) is due at once instead of waiting out the jump. order_key and
-- order_seq: jobs sharing a key run one at a time in order_seq order (the
-- outbox: one subscriber, one record). Times are ISO 8601 UTC text with
-- milliseconds. AUTOINCREMENT: a purged job's id is never reused, since
-- email_queue.job_id and the activity log name jobs by id.
CREATE TABLE job (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	kind TEXT NOT NULL,
	payload TEXT NOT NULL DEFAULT '{}',
	status TEXT NOT NULL DEFAULT 'queued'
		CHECK (status IN ('queued', 'running', 'done', 'blocked')),
	attempts INTEGER NOT NULL DEFAULT 0,
	run_at TEXT NOT NULL,
	scheduled_at TEXT NOT NULL,
	lease_owner TEXT,
	lease_until TEXT,
	last_error TEXT,
	order_key TEXT,
	order_seq INTEGER,
	created_at TEXT NOT NULL,
	started_at TEXT,
	finished_at TEXT
);
CREATE INDEX job_due ON job(status, run_at);
CREATE INDEX job_org ON job(org_id, kind, status, id);
CREATE INDEX job_order ON job(order_key, order_seq, status)
	WHERE order_key IS NOT NULL;

-- The email queue moves onto the runner: email_queue keeps the message
-- (what the queue page lists, the encrypted body), its job row holds the
-- delivery state (attempts, next attempt, lease, last error, blocked).
-- sent_at marks a delivered message for good (its job is purged a week
-- later); attempts is then how many it took. Unsent rows get a job with
-- the same id and their state.
INSERT INTO job (id, org_id, kind, payload, status, attempts, run_at,
		 scheduled_at, lease_owner, lease_until, last_error, created_at,
		 finished_at)
	SELECT id, org_id, 'email', '{"email_id":' || id || '}',
	       CASE status WHEN 'sending' THEN 'running' ELSE status END,
	       attempts, next_attempt_at, created_at,
	       CASE WHEN status = 'sending' THEN 'migrated' END,
	       CASE WHEN status = 'sending' THEN locked_until END,
	       last_error, created_at,
	       CASE WHEN status = 'blocked' THEN next_attempt_at END
	FROM email_queue WHERE status <> 'sent';

CREATE TABLE email_queue_new (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL REFERENCES org(id),
	to_addr TEXT NOT NULL,
	subject TEXT NOT NULL,
	body_text TEXT NOT NULL,
	template TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	sent_at TEXT,
	job_id INTEGER REFERENCES job(id) ON DELETE SET NULL
);
INSERT INTO email_queue_new (id, org_id, to_addr, subject, body_text,
			     template, attempts, created_at, sent_at, job_id)
	SELECT id, org_id, to_addr, subject, body_text, template,
	       CASE WHEN status = 'sent' THEN attempts ELSE 0 END, created_at,
	       sent_at, CASE WHEN status <> 'sent' THEN id END
	FROM email_queue;
DROP TABLE email_queue;
ALTER TABLE email_queue_new RENAME TO email_queue;
CREATE INDEX email_queue_org ON email_queue(org_id, id);
CREATE INDEX email_queue_job ON email_queue(job_id);

-- The scheduler: one row per task (its schedule, next due time, last run)
-- and a history of runs. next_run_at is advanced with a compare-and-set
-- when a run starts, so a period runs once even if two nodes ever
-- believed they held the lease. running_since is set while a run is in
-- progress: left behind by a node that died mid-task, the next leader
-- records the interruption and runs the task again.
CREATE TABLE sched_task (
	name TEXT PRIMARY KEY,
	schedule TEXT NOT NULL,
	next_run_at TEXT NOT NULL,
	last_run_at TEXT,
	last_duration_ms INTEGER,
	last_error TEXT,
	last_node TEXT,
	running_since TEXT,
	running_node TEXT,
	runs INTEGER NOT NULL DEFAULT 0,
	failures INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sched_run (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	task TEXT NOT NULL,
	due_at TEXT NOT NULL,
	started_at TEXT NOT NULL,
	finished_at TEXT,
	duration_ms INTEGER,
	node TEXT NOT NULL,
	via TEXT NOT NULL,
	error TEXT
);
CREATE INDEX sched_run_task ON sched_run(task, id);
CREATE INDEX sched_run_started ON sched_run(started_at);

-- One row: the scheduler's lease (the node that runs it), its last tick
-- (the Cronjob tab's "last run") and the cron URL's token, stored as a
-- hash only.
CREATE TABLE sched_state (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	lease_owner TEXT,
	lease_until TEXT,
	last_tick_at TEXT,
	last_tick_node TEXT,
	last_tick_via TEXT,
	token_hash TEXT,
	token_created_at TEXT
);
INSERT INTO sched_state (id) VALUES (1);
