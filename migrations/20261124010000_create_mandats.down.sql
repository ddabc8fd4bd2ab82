ALTER TABLE journal DROP CONSTRAINT IF EXISTS journal_usager_fk, DROP CONSTRAINT IF EXISTS journal_mandat_fk;
DROP INDEX IF EXISTS journal_mandat_idx;
DROP TABLE IF EXISTS mandat_flows, autorisations, mandats, usagers;
