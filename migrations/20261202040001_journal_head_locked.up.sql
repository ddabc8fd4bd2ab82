-- The head of the journal's chain, read under the journal's lock, for a statement that takes
-- the lock midway (the FI's userinfo marks its token used, takes the lock and reads the head
-- in one statement). The statement's own snapshot predates the lock; a VOLATILE function's
-- query takes a fresh one, after the lock, so it sees the entry of whoever held it before.
CREATE FUNCTION journal_head_locked(lock_key bigint) RETURNS bytea LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN (SELECT hash FROM journal ORDER BY id DESC LIMIT 1);
END $$;
