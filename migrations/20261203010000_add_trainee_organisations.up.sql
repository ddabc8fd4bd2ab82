-- The bac à sable (sandbox): a trainee's practice organisation is marked with the moment its
-- data expires (AC_SANDBOX_TRAINEE_TTL after sign-up) and the hash of the token of the
-- trainee's own outbox URL; the demo organisations of the seed are marked too, so that
-- `ac sandbox reset` knows what it restores. Both are NULL / false outside the sandbox.
ALTER TABLE organisations
    ADD COLUMN trainee_expires_at  timestamptz,
    ADD COLUMN trainee_outbox_hash bytea UNIQUE,
    ADD COLUMN is_demo             boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT organisations_trainee_outbox CHECK ((trainee_expires_at IS NULL) = (trainee_outbox_hash IS NULL));
CREATE INDEX organisations_trainee_expiry_idx ON organisations (trainee_expires_at) WHERE trainee_expires_at IS NOT NULL;
-- A database seeded before this migration: its demo organisations are those of the demo accounts.
UPDATE organisations SET is_demo = true
WHERE id IN (SELECT ao.organisation_id FROM aidant_organisations ao JOIN aidants a ON a.id = ao.aidant_id WHERE a.is_demo);
