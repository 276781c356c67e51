-- 0007_key_check: proof of which master key this database belongs to.
-- One row: a MAC of a fixed text under a key derived from the master key
-- (src/core/secret.h, secret_key_check). Written by the first migrate or
-- start that has a key; from then on serve and the commands that need the
-- key refuse to run with a different one, instead of failing later on
-- every secret they cannot decrypt. It reveals nothing about the key.
CREATE TABLE key_check (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	mac TEXT NOT NULL,
	created_at TEXT NOT NULL
);
