-- Back to the chain written by each action: every entry must be chained first (ac journal
-- verify chains what is committed), and entries are then in id order only if seq agrees.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM journal WHERE seq IS NULL) THEN
        RAISE EXCEPTION 'journal entries wait for the chainer: run ac journal verify first';
    END IF;
END $$;
DROP TRIGGER journal_no_update_delete ON journal;
CREATE TRIGGER journal_no_update_delete
    BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_is_append_only();
DROP FUNCTION journal_is_append_only_but_chained();
DROP INDEX journal_unchained_idx;
ALTER TABLE journal DROP CONSTRAINT journal_seq_positive, DROP CONSTRAINT journal_chained_whole, DROP CONSTRAINT journal_seq_unique;
ALTER TABLE journal ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL;
ALTER TABLE journal DROP COLUMN seq;
CREATE FUNCTION journal_head_locked(lock_key bigint) RETURNS bytea LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN (SELECT hash FROM journal ORDER BY id DESC LIMIT 1);
END $$;
