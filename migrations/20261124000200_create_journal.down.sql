DROP TABLE IF EXISTS journal;
DROP FUNCTION IF EXISTS journal_is_append_only();
