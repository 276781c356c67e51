-- 0016_settings_version: a version per settings group of an organisation,
-- the ETag of GET /api/v1/settings/{group} and what If-Match on its PATCH
-- is compared with. A group without a row is at version 1; every change
-- (the API or `atrium settings set`) adds one, in the transaction that
-- writes the values (core/settings.h, settings_apply).
CREATE TABLE setting_version (
	org_id BIGINT NOT NULL REFERENCES org(id),
	grp TEXT NOT NULL,
	version BIGINT NOT NULL,
	PRIMARY KEY (org_id, grp)
);
