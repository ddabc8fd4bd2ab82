-- Public statistics are computed by a periodic job (store.RefreshStats) and read from this
-- one row: a request never counts anything. The figures are stored raw; the small-count
-- rule is applied when they are published (store.Stats.Publish).
CREATE TABLE stats_snapshots (
    id          smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    computed_at timestamptz NOT NULL,
    figures     jsonb NOT NULL CHECK (jsonb_typeof(figures) = 'object')
);
