-- 0009_record_custom_values: fields an organisation defines at run time.
--
-- Every entity table gets `cf`, a JSON object of its custom values in
-- their column form (integers for money, decimals, booleans and ids;
-- strings; arrays), read and written by the records module. field_gen
-- counts changes to an organisation's definitions per entity, so every
-- node rebuilds its cached field set (src/entity/field_set.c).
ALTER TABLE lead ADD COLUMN cf TEXT;
ALTER TABLE client ADD COLUMN cf TEXT;
ALTER TABLE department ADD COLUMN cf TEXT;
ALTER TABLE team ADD COLUMN cf TEXT;

CREATE TABLE field_gen (
	org_id BIGINT NOT NULL,
	entity TEXT NOT NULL,
	gen BIGINT NOT NULL,
	PRIMARY KEY (org_id, entity)
);
