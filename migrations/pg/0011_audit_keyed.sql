-- 0011_audit_keyed: the keyed activity chain (src/core/activity.h).
-- mac_version 1: a row written before, covered by an unkeyed hash;
-- 2: hash is a MAC keyed from the master key over the public columns and
-- the seals of the two personal parts (who: actor_name, ip; what: diff),
-- each sealed with a salt of its own that erasure removes with the values.
ALTER TABLE activity_log ADD COLUMN mac_version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE activity_log ADD COLUMN who_salt TEXT;
ALTER TABLE activity_log ADD COLUMN who_seal TEXT;
ALTER TABLE activity_log ADD COLUMN what_salt TEXT;
ALTER TABLE activity_log ADD COLUMN what_seal TEXT;
-- The head's own MAC (over org, seq, hash): the head cannot be rewound.
-- NULL on a chain written before; `atrium migrate` seals those.
ALTER TABLE audit_head ADD COLUMN mac TEXT;
