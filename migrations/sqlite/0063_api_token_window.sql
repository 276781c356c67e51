-- 0063_api_token_window: an API token's requests in each minute, added up
-- by every node, so its rate limit holds across a cluster (with N nodes it
-- was N times the limit). Each node adds what it counted in batches
-- (src/auth/api_token.c: at its first request of a minute, then whenever
-- it has used an eighth of what the minute had left) and reads the total
-- back in the same statement. Rows older than ten minutes are removed by
-- housekeeping. IF NOT EXISTS: the newest migration may run again (an
-- operator who cleared its row; tests/http/operator-mistakes).
CREATE TABLE IF NOT EXISTS api_token_window (
	token_id INTEGER NOT NULL REFERENCES api_token(id) ON DELETE CASCADE,
	window_start TEXT NOT NULL,
	requests INTEGER NOT NULL,
	PRIMARY KEY (token_id, window_start)
);
