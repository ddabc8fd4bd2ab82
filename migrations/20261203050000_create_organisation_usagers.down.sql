CREATE INDEX IF NOT EXISTS mandats_usagers_list_idx ON mandats (organisation_id, usager_sort, usager_id, expires_at DESC, id)
    INCLUDE (revoked_at, created_at, usager_search);
DROP TRIGGER IF EXISTS mandats_organisation_usagers_insert ON mandats;
DROP TRIGGER IF EXISTS mandats_organisation_usagers_update ON mandats;
DROP TRIGGER IF EXISTS mandats_organisation_usagers_delete ON mandats;
DROP FUNCTION IF EXISTS mandats_sync_organisation_usagers();
DROP FUNCTION IF EXISTS organisation_usagers_sync(bigint[], bigint[]);
DROP TABLE IF EXISTS organisation_usagers;
