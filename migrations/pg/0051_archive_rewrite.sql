-- 0051_archive_rewrite: GDPR erasure reaches the log archives already
-- written (issue 15; src/admin/retention_rewrite.c, src/gdpr/gdpr_reach.c).
--
-- An erasure rewrites each archive holding the subject's values into a new
-- file (<first>-<last>.e<request>.jsonl.gz) and moves the manifest to it:
-- path, sha256 and bytes change, rewritten_by names the GDPR request,
-- rewritten_at and rewrite_note say when and what. replaced_path is the old
-- file while it is not yet removed (set in the transaction that moves the
-- manifest, cleared once the file is gone): a crash in between leaves it
-- set, and the next rewrite removes that file first.
ALTER TABLE log_archive ADD COLUMN rewritten_by BIGINT;
ALTER TABLE log_archive ADD COLUMN rewritten_at TEXT;
ALTER TABLE log_archive ADD COLUMN rewrite_note TEXT;
ALTER TABLE log_archive ADD COLUMN replaced_path TEXT;
