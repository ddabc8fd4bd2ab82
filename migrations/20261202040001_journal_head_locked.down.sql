DROP FUNCTION IF EXISTS journal_head_locked(bigint);
