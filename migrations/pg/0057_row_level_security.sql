-- Row-level security on org_id: the second line of defence behind the
-- application's own `org_id = ?` in every statement (issue 17,
-- docs/internals/organisations.md "Isolation, and proving it").
--
-- `atrium serve` runs the statements of a request over one organisation's
-- records as the role atrium_app (SET ROLE, when this login role may),
-- which owns nothing and so is subject to the policies below, with the
-- setting atrium.org set to the request's organisation. The rest (sign-in,
-- a person's own account, the operator console, the job runner, the
-- scheduler, housekeeping) runs as the login role. The login role that ran this
-- migration owns the tables and bypasses the policies: migrations, `atrium`
-- commands, pg_dump and pg_restore see every organisation, as before.
--
-- atrium.org 'all' lets the role see every organisation (for a database
-- administrator's own session).
-- Unset (any other client that becomes atrium_app) sees and writes no row.
--
-- Creating the role needs CREATEROLE: a login role without it gets a
-- notice and no role; the server then runs without row-level security, logs
-- why at start and its health report says so (the operations guide has the
-- statements a database administrator runs to add it).
--
-- A row of no organisation (org_id NULL: the system log's lines of no
-- request, a setup link) is the installation's: the policy lets it through
-- as the application did before, whose own statements decide who sees it
-- (the system log shows such lines to administrators).
-- The role and its grants, as a function: `atrium restore` calls it again
-- after pg_restore (which restores without grants, --no-acl), and so may a
-- database administrator after adding the role by hand.
CREATE FUNCTION atrium_grant_app() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	BEGIN
		CREATE ROLE atrium_app NOLOGIN;
	EXCEPTION
		WHEN duplicate_object OR unique_violation THEN
			NULL; -- made by another database of this cluster
		WHEN insufficient_privilege THEN
			RAISE NOTICE 'row-level security: role atrium_app not created (%)', SQLERRM;
	END;
	IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'atrium_app') THEN
		BEGIN
			EXECUTE format('GRANT atrium_app TO %I', current_user);
		EXCEPTION WHEN insufficient_privilege OR invalid_grant_operation THEN
			RAISE NOTICE 'row-level security: atrium_app not granted to % (%)', current_user, SQLERRM;
		END;
		EXECUTE format('GRANT USAGE ON SCHEMA %I TO atrium_app', current_schema());
		EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO atrium_app', current_schema());
		EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO atrium_app', current_schema());
		EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO atrium_app', current_schema());
		EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO atrium_app', current_schema());
	END IF;
END $$;
REVOKE EXECUTE ON FUNCTION atrium_grant_app() FROM PUBLIC;
SELECT atrium_grant_app();

DO $$
DECLARE
	t text;
	nullable boolean;
	cond text;
BEGIN
	FOR t, nullable IN
		SELECT c.table_name, c.is_nullable = 'YES' FROM information_schema.columns c
		JOIN information_schema.tables b ON b.table_schema = c.table_schema
			AND b.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND c.column_name = 'org_id'
			AND b.table_type = 'BASE TABLE'
		ORDER BY 1
	LOOP
		cond := $c$current_setting('atrium.org', true) = 'all'
			OR org_id = NULLIF(NULLIF(current_setting('atrium.org', true), 'all'), '')::bigint$c$;
		IF nullable THEN
			cond := 'org_id IS NULL OR ' || cond;
		END IF;
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY org_scope ON %I USING (%s) WITH CHECK (%s)', t, cond, cond);
	END LOOP;
END $$;

-- A member of this organisation whose home is another (a person in several
-- organisations, migration 0056) shows that organisation's name: read by
-- the tables' owner, that name alone, past the policies.
CREATE FUNCTION atrium_home_org(identity bigint) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
	SELECT o.name FROM public.staff h JOIN public.org o ON o.id = h.org_id
	WHERE h.id = identity
$$;

-- A session of such a member is checked against the person's home row's
-- "must change the password" (the session lookup, which may run bound to
-- the session's organisation): that flag alone, past the policies.
CREATE FUNCTION atrium_home_must_change(identity bigint) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
	SELECT must_change_password FROM public.staff WHERE id = identity
$$;
