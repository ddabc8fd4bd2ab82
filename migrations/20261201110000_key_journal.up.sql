-- The journal's chain becomes keyed: each row's hash is an HMAC-SHA256 under a key derived
-- from AC_SECRET_KEY, so whoever can rewrite the table without the key cannot recompute a chain
-- that verifies. SQL has no key: the rows written before this migration (chained with plain
-- SHA-256) are re-chained by the application right after it (store.RechainJournal), up to
-- the id recorded here, once their old chain has been checked. Re-chaining rewrites history,
-- which is acceptable only because the service is not in production yet.
CREATE TABLE journal_rechain (up_to_id bigint PRIMARY KEY);
INSERT INTO journal_rechain SELECT max(id) FROM journal HAVING count(*) > 0;

-- Signed checkpoints: at a time, how many entries the journal had and the hash of the last
-- one, signed (Ed25519, key derived from AC_SECRET_KEY). Written periodically and at
-- shutdown, published for auditors to keep copies of; `journal verify` checks the chain
-- against them, so rows deleted at the end (truncation) show. Append-only, like the journal.
CREATE TABLE journal_checkpoints (
    id         bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL,
    entries    bigint NOT NULL CHECK (entries > 0),
    head_id    bigint NOT NULL,
    head_hash  bytea NOT NULL CHECK (length(head_hash) = 32),
    signature  bytea NOT NULL CHECK (length(signature) = 64)
);
CREATE INDEX journal_checkpoints_entries_idx ON journal_checkpoints (entries, id);
CREATE TRIGGER journal_checkpoints_no_update_delete
    BEFORE UPDATE OR DELETE ON journal_checkpoints
    FOR EACH ROW EXECUTE FUNCTION journal_is_append_only();
CREATE TRIGGER journal_checkpoints_no_truncate
    BEFORE TRUNCATE ON journal_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION journal_is_append_only();
