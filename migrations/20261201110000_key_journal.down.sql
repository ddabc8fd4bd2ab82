-- The chain stays keyed: rows are not re-chained back.
DROP TABLE IF EXISTS journal_checkpoints, journal_rechain;
