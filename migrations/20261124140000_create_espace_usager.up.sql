-- The usager's own space: a usager may revoke their mandats themselves. The autorisation then
-- records that the usager, not an aidant, revoked it, so that the organisation's aidants see
-- it as such; the journal entry has the usager as its actor (no aidant_id, see
-- store.InfoByUsager).
ALTER TABLE autorisations
    ADD COLUMN revoked_by_usager boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT autorisations_one_revoker CHECK (NOT (revoked_by_usager AND revoked_by_aidant_id IS NOT NULL)),
    ADD CONSTRAINT autorisations_usager_revocation_dated CHECK (NOT revoked_by_usager OR revoked_at IS NOT NULL);

-- "What was done for me": the usager's use_autorisation entries, newest first, read in
-- order from a small partial index rather than by scanning the journal.
CREATE INDEX journal_usager_use_idx ON journal (usager_id, id) WHERE action = 'use_autorisation';
