-- 0048: the indexes an import's duplicate rule looks records up by
-- (src/admin/import_run.c, find_duplicate: `org_id = ? AND lower(col) =
-- lower(?)`, one query per row). Without them each row of a 100,000-row
-- import with a duplicate key scanned the organisation's table. These
-- are the keys the spec names (email, VAT number, a registration code) on
-- the entities that hold them; contacts' email already has its unique
-- index (contact_email_ci, 0020). Other text fields may still be chosen
-- as a key and are looked up without an index (docs/internals/import.md).
CREATE INDEX lead_email_ci ON lead(org_id, lower(email));
CREATE INDEX client_vat_ci ON client(org_id, lower(vat_number));
CREATE INDEX client_registration_ci ON client(org_id, lower(registration_number));
