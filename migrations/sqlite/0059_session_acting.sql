-- 0059_session_acting: a session that acts in another organisation than
-- its member's own (issue 17; docs/internals/organisations.md, "Acting in
-- another organisation"). acting: 'operator' (an administrator of the
-- operator organisation in operator mode) or 'parent' (a business's member
-- in one of its merchants, with the role's parent-scope grants); NULL for
-- every ordinary session. session.org_id is the organisation acted in,
-- staff_id the member's own row. return_expires_at: the absolute end of the
-- session it replaced, which leaving gives back (never later).
ALTER TABLE session ADD COLUMN acting TEXT
	CHECK (acting IS NULL OR acting IN ('operator', 'parent'));
ALTER TABLE session ADD COLUMN return_expires_at TEXT;
