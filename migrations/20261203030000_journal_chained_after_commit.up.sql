-- The journal's chain is computed after commit by a single chainer (store.ChainJournal), no
-- longer by each action under one lock held to the end of its transaction. An action inserts
-- its entry unchained (seq, prev_hash and hash NULL) in its own transaction; the chainer,
-- under the journal's advisory lock and in a short transaction of its own, reads the
-- committed entries not chained yet, numbers them after the chain's head (seq: the entry's
-- place in the chain, 1, 2, 3, ...) and sets their prev_hash and hash. The chain's order is
-- the chainer's seq, final once written: an entry whose id is lower but whose transaction
-- committed later simply gets a later place. `journal verify` walks the chain by seq.
ALTER TABLE journal ADD COLUMN seq bigint;
ALTER TABLE journal ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL;

-- Entries written so far are chained in id order: their place is their rank.
ALTER TABLE journal DISABLE TRIGGER journal_no_update_delete;
UPDATE journal SET seq = r.seq FROM (SELECT id, row_number() OVER (ORDER BY id) AS seq FROM journal) AS r WHERE journal.id = r.id;
ALTER TABLE journal ENABLE TRIGGER journal_no_update_delete;

ALTER TABLE journal ADD CONSTRAINT journal_seq_unique UNIQUE (seq),
    ADD CONSTRAINT journal_chained_whole CHECK ((seq IS NULL) = (hash IS NULL) AND (hash IS NULL) = (prev_hash IS NULL)),
    ADD CONSTRAINT journal_seq_positive CHECK (seq > 0);
-- What the chainer reads: the entries not chained yet, a handful at any time.
CREATE INDEX journal_unchained_idx ON journal (id) WHERE seq IS NULL;

-- The journal stays append-only, with one exception: the chainer sets the chain's columns of
-- an entry not chained yet, once, and nothing else. (The serving role is granted UPDATE on
-- those three columns only: migrations.GrantServing.)
CREATE FUNCTION journal_is_append_only_but_chained() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash') = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'journal is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
DROP TRIGGER journal_no_update_delete ON journal;
CREATE TRIGGER journal_no_update_delete
    BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_is_append_only_but_chained();

-- The head is no longer read under a lock by the FI's userinfo statement.
DROP FUNCTION IF EXISTS journal_head_locked(bigint);
