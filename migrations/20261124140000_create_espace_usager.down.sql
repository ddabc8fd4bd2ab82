DROP INDEX IF EXISTS journal_usager_use_idx;
ALTER TABLE autorisations
    DROP CONSTRAINT IF EXISTS autorisations_usager_revocation_dated,
    DROP CONSTRAINT IF EXISTS autorisations_one_revoker,
    DROP COLUMN IF EXISTS revoked_by_usager;
