-- Row-level security at the cost of one lookup per statement, not per row,
-- and the session lookup without a function call for most members
-- (issue 18; migration 0057 made the policies).
--
-- The policy org_scope called current_setting('atrium.org') twice for every
-- row a statement read: the function is STABLE, not a constant, so the
-- planner kept it in the row filter. A list of 50 leads spent twice as long
-- in its scan as without the policy (EXPLAIN ANALYZE: 0.063 ms against
-- 0.030 ms). Wrapped in scalar subqueries the setting becomes an InitPlan,
-- read once when the statement runs; the rows then compare with its value.
-- The same rows pass and fail as before: only where the setting is read
-- changed.
DO $$
DECLARE
	t text;
	nullable boolean;
	cond text;
BEGIN
	FOR t IN SELECT tablename FROM pg_policies
		WHERE schemaname = current_schema() AND policyname = 'org_scope'
		ORDER BY 1
	LOOP
		SELECT c.is_nullable = 'YES' INTO nullable
		FROM information_schema.columns c
		WHERE c.table_schema = current_schema() AND c.table_name = t
			AND c.column_name = 'org_id';
		cond := $c$(SELECT current_setting('atrium.org', true)) = 'all'
			OR org_id = (SELECT NULLIF(NULLIF(current_setting('atrium.org', true), 'all'), '')::bigint)$c$;
		IF nullable THEN
			cond := 'org_id IS NULL OR ' || cond;
		END IF;
		EXECUTE format('ALTER POLICY org_scope ON %I USING (%s) WITH CHECK (%s)', t, cond, cond);
	END LOOP;
END $$;

-- The session lookup of every request called atrium_home_must_change for
-- every member, also for the (most) whose account is their own row
-- (identity NULL): a SECURITY DEFINER SQL function, planned again at each
-- call, was the dearest part of a list request in PostgreSQL (0.27 ms of
-- 0.41). STRICT: with a NULL identity it is not called and answers NULL,
-- as its body did (no row has a NULL id).
ALTER FUNCTION atrium_home_must_change(bigint) STRICT;
ALTER FUNCTION atrium_home_org(bigint) STRICT;
