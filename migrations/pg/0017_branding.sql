-- 0017_branding: the organisation's logos and favicon (Settings > General,
-- branding; src/admin/branding.c). One row per organisation and kind;
-- `data` holds the bytes Atrium serves, which it wrote itself after
-- decoding the upload (a PNG encoded again, or an SVG rebuilt from an
-- allowlist), never the upload as sent. `sha256` (hex) names the version:
-- it is the image URL's `v` and its ETag.
CREATE TABLE branding_image (
	org_id BIGINT NOT NULL REFERENCES org(id),
	kind TEXT NOT NULL CHECK (kind IN ('logo_light', 'logo_dark', 'favicon')),
	content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/svg+xml')),
	data BYTEA NOT NULL,
	bytes INTEGER NOT NULL,
	width INTEGER,
	height INTEGER,
	sha256 TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (org_id, kind)
);
