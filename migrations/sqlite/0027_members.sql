-- 0027_members: staff lists (issue 12), the kernel field type "a list of
-- staff members" (FT_STAFF_LIST, src/core/ftype.h, src/entity/entity_lists.c):
-- a task's assignees and a project's members. Each list is a table of
-- its own, <entity>_<field>, one row per member:
--   PRIMARY KEY (record_id, staff_id): a record's list in one range, and
--     "is member 7 on task 12" as one probe (view_own of one record, the
--     arms' exclusions); WITHOUT ROWID, so the key is the table;
--   (staff_id, org_id, record_id): a member's records in id order, which
--     view_own's arms, the filter assignees=7 and offboarding walk; staff
--     first so the foreign key's check when a member is deleted is an
--     index probe too;
--   the record's rows go with it (ON DELETE CASCADE); a member cannot be
--   deleted while named (offboarding moves them first).
-- Tasks' single assigned_to moves into task_assignees and the column goes:
-- one truth for "who works on this task" (a column beside the list would
-- have to be kept equal to its first member, or would mean something
-- else). The project manager (project.assigned_to) stays a single field;
-- project_members is new and starts empty.

CREATE TABLE task_assignees (
	org_id INTEGER NOT NULL REFERENCES org(id),
	record_id INTEGER NOT NULL REFERENCES task(id) ON DELETE CASCADE,
	staff_id INTEGER NOT NULL REFERENCES staff(id),
	PRIMARY KEY (record_id, staff_id)
) WITHOUT ROWID;
CREATE INDEX task_assignees_staff ON task_assignees(staff_id, org_id, record_id);
INSERT INTO task_assignees (org_id, record_id, staff_id)
	SELECT org_id, id, assigned_to FROM task WHERE assigned_to IS NOT NULL;
DROP INDEX task_assigned;
ALTER TABLE task DROP COLUMN assigned_to;

CREATE TABLE project_members (
	org_id INTEGER NOT NULL REFERENCES org(id),
	record_id INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
	staff_id INTEGER NOT NULL REFERENCES staff(id),
	PRIMARY KEY (record_id, staff_id)
) WITHOUT ROWID;
CREATE INDEX project_members_staff ON project_members(staff_id, org_id, record_id);
