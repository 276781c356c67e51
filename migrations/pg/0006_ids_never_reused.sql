-- 0006_ids_never_reused: ids are never handed out twice.
--
-- Every id column here is an identity column (0001-0005), drawn from a
-- sequence: a sequence never goes back, not on rollback, not after a
-- delete, so PostgreSQL never reuses an id (the SQLite migration of the
-- same name adds AUTOINCREMENT, which is what SQLite lacked).
--
-- What can still go wrong is a row written with an explicit id (a restore,
-- a hand-made fix): the sequence does not see it, and a later insert gets a
-- duplicate-key error instead of a fresh id. So every identity sequence is
-- moved past the largest id of its table, and past every id the activity
-- log recorded for that table (records deleted since), never back.
DO $$
DECLARE
	r record;
	seq text;
	top bigint;
	logged bigint;
BEGIN
	FOR r IN
		SELECT c.table_name, c.column_name
		FROM information_schema.columns c
		WHERE c.table_schema = current_schema() AND c.is_identity = 'YES'
	LOOP
		seq := pg_get_serial_sequence(quote_ident(r.table_name), r.column_name);
		EXECUTE format('SELECT max(%I) FROM %I', r.column_name, r.table_name)
			INTO top;
		SELECT max(entity_id) INTO logged FROM activity_log
			WHERE entity = r.table_name;
		top := greatest(coalesce(top, 0), coalesce(logged, 0));
		IF top > 0 THEN
			-- setval(..., false): the next nextval returns top + 1, unless
			-- the sequence is already further on.
			PERFORM setval(seq, greatest(top + 1,
				(SELECT coalesce(last_value + 1, 1) FROM pg_sequences
				 WHERE schemaname = current_schema()
				 AND sequencename = split_part(seq, '.', 2))), false);
		END IF;
	END LOOP;
END
$$;
