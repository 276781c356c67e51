-- 0012_names_ci: department, team and role names are unique per
-- organisation whatever their letter case ("Sales" and "sales" were two
-- departments). Names that already differ only by case keep the oldest as
-- is; the others get their id appended, so the index can be built.
UPDATE department SET name = name || ' (' || id || ')' WHERE EXISTS (
	SELECT 1 FROM department d WHERE d.org_id = department.org_id
	AND lower(d.name) = lower(department.name) AND d.id < department.id);
UPDATE team SET name = name || ' (' || id || ')' WHERE EXISTS (
	SELECT 1 FROM team t WHERE t.org_id = team.org_id
	AND lower(t.name) = lower(team.name) AND t.id < team.id);
UPDATE role SET name = name || ' (' || id || ')' WHERE EXISTS (
	SELECT 1 FROM role r WHERE r.org_id = role.org_id
	AND lower(r.name) = lower(role.name) AND r.id < role.id);
CREATE UNIQUE INDEX department_name_ci ON department(org_id, lower(name));
CREATE UNIQUE INDEX team_name_ci ON team(org_id, lower(name));
CREATE UNIQUE INDEX role_name_ci ON role(org_id, lower(name));
