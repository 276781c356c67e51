-- 0047: a team password's custom fields (src/admin/vault_fields.c): a JSON
-- array of {name, secret, value}, a secret value sealed under the entry's
-- key like the password and the notes; NULL for none.
ALTER TABLE vault_entry ADD COLUMN custom_fields TEXT;
