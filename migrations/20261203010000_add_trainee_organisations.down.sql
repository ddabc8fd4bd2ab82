DROP INDEX organisations_trainee_expiry_idx;
ALTER TABLE organisations
    DROP CONSTRAINT organisations_trainee_outbox,
    DROP COLUMN is_demo,
    DROP COLUMN trainee_outbox_hash,
    DROP COLUMN trainee_expires_at;
