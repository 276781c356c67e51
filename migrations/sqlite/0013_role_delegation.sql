-- 0013_role_delegation: which roles the members of a role may hand out.
-- An administrator marks them (an HR Administrator may give new hires the
-- Sales Agent role without holding its grants); everyone else may still
-- give only roles whose grants they hold themselves.
CREATE TABLE role_delegation (
	role_id INTEGER NOT NULL REFERENCES role(id) ON DELETE CASCADE,
	grantable_role_id INTEGER NOT NULL REFERENCES role(id) ON DELETE CASCADE,
	PRIMARY KEY (role_id, grantable_role_id)
);
CREATE INDEX role_delegation_grantable ON role_delegation(grantable_role_id);
