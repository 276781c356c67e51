-- 0039_health: the health page (issue 16; src/admin/health.c).
--
-- node: one row per `atrium serve` process, written by its job runner
-- (src/jobs/node.c) at start, every 30 seconds and at a clean stop. id is
-- the process's node name (host:pid:random), the same the job and
-- scheduler leases carry. The health page shows a node not seen for two
-- minutes as gone; housekeeping removes rows not seen for a day.
CREATE TABLE node (
	id TEXT PRIMARY KEY,
	version TEXT NOT NULL,
	started_at TEXT NOT NULL,
	seen_at TEXT NOT NULL,
	stopped_at TEXT
);
CREATE INDEX node_seen ON node(seen_at);

-- The health indicators count one organisation's rows in a window of
-- time (the last hour of API requests, the last day of webhook attempts),
-- and all organisations' for /metrics, from indexes alone: the window's
-- rows by (org_id, at) (all organisations: the existing index on `at`),
-- the failures among them from partial indexes that hold failures only
-- (small: they grow with the failures, not with the traffic). The failure
-- column is in each, so that no count reads the table.
CREATE INDEX api_request_log_org_at ON api_request_log(org_id, at);
CREATE INDEX api_request_log_errors ON api_request_log(org_id, at, status)
	WHERE status >= 500;
CREATE INDEX api_request_log_errors_at ON api_request_log(at, status)
	WHERE status >= 500;
CREATE INDEX webhook_attempt_org_at ON webhook_attempt(org_id, at);
CREATE INDEX webhook_attempt_failed ON webhook_attempt(org_id, at, error)
	WHERE error IS NOT NULL;
CREATE INDEX webhook_attempt_failed_at ON webhook_attempt(at, error)
	WHERE error IS NOT NULL;
