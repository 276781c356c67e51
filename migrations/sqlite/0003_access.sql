-- 0003_access: roles with their permission grants, per-member overrides,
-- departments and teams with their members.
CREATE TABLE role (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	name TEXT NOT NULL,
	description TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	UNIQUE (org_id, name)
);

-- One row per granted capability; a new role has none (least privilege).
CREATE TABLE role_permission (
	role_id INTEGER NOT NULL REFERENCES role(id) ON DELETE CASCADE,
	module TEXT NOT NULL,
	cap TEXT NOT NULL,
	PRIMARY KEY (role_id, module, cap)
);

-- Overrides win over the role: effect is 'allow' or 'deny'; absent = inherit.
CREATE TABLE staff_permission (
	staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
	module TEXT NOT NULL,
	cap TEXT NOT NULL,
	effect TEXT NOT NULL CHECK (effect IN ('allow', 'deny')),
	PRIMARY KEY (staff_id, module, cap)
);

ALTER TABLE staff ADD COLUMN role_id INTEGER REFERENCES role(id);
ALTER TABLE staff ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE INDEX staff_role ON staff(role_id);

CREATE TABLE department (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	name TEXT NOT NULL,
	email TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	UNIQUE (org_id, name)
);

CREATE TABLE team (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES org(id),
	name TEXT NOT NULL,
	description TEXT,
	created_by INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	UNIQUE (org_id, name)
);

CREATE TABLE staff_department (
	staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
	department_id INTEGER NOT NULL REFERENCES department(id) ON DELETE CASCADE,
	PRIMARY KEY (staff_id, department_id)
);
CREATE INDEX staff_department_dep ON staff_department(department_id);

CREATE TABLE staff_team (
	staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
	team_id INTEGER NOT NULL REFERENCES team(id) ON DELETE CASCADE,
	PRIMARY KEY (staff_id, team_id)
);
CREATE INDEX staff_team_team ON staff_team(team_id);
