DROP TABLE IF EXISTS stats_snapshots;
