-- A signed run keeps its row (until purged with the other expired runs) and names the mandat
-- it created: a second submission of the same run answers "already created" instead of
-- creating a duplicate that would revoke the first one's autorisations.
ALTER TABLE mandat_flows ADD COLUMN mandat_id bigint REFERENCES mandats(id) ON DELETE CASCADE;
