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
-- time (the last hour of API requests, the last day of webhook attempts)
-- from an index alone: the window's rows by (org_id, at), and the
-- failures among them from a partial index that holds failures only (all
-- organisations: the existing index on `at`, and the partial ones by
-- their leading `at`).
CREATE INDEX api_request_log_org_at ON api_request_log(org_id, at);
CREATE INDEX api_request_log_errors ON api_request_log(at, org_id)
	WHERE status >= 500;
CREATE INDEX webhook_attempt_org_at ON webhook_attempt(org_id, at);
CREATE INDEX webhook_attempt_failed ON webhook_attempt(at, org_id)
	WHERE error IS NOT NULL;
