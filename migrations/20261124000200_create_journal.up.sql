-- The journal is append-only and hash-chained: each row stores the SHA-256 of its canonical
-- content together with the previous row's hash (computed by the application, checked by
-- `journal verify`). Rows are never updated or deleted.
CREATE TABLE journal (
    id                bigserial PRIMARY KEY,
    created_at        timestamptz NOT NULL,
    action            text NOT NULL CHECK (action ~ '^[a-z_]+$'),
    aidant_id         bigint REFERENCES aidants(id),
    organisation_id   bigint REFERENCES organisations(id),
    usager_id         bigint,
    mandat_id         bigint,
    autorisation_id   bigint,
    demarche          text NOT NULL DEFAULT '',
    duree_days        integer NOT NULL DEFAULT 0,
    attestation_hash  text NOT NULL DEFAULT '',
    access_token_hash text NOT NULL DEFAULT '',
    info              text NOT NULL DEFAULT '',
    prev_hash         bytea NOT NULL,
    hash              bytea NOT NULL UNIQUE
);
CREATE INDEX journal_aidant_idx ON journal (aidant_id, id);
CREATE INDEX journal_organisation_idx ON journal (organisation_id, id);
CREATE INDEX journal_action_idx ON journal (action, created_at);

CREATE FUNCTION journal_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'journal is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER journal_no_update_delete
    BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_is_append_only();
CREATE TRIGGER journal_no_truncate
    BEFORE TRUNCATE ON journal
    FOR EACH STATEMENT EXECUTE FUNCTION journal_is_append_only();
