-- Usagers: the people aidants act for. Identity comes from FranceConnect; `sub` is a salted
-- hash of the FranceConnect sub, never the sub itself.
CREATE TABLE usagers (
    id                 bigserial PRIMARY KEY,
    sub                text NOT NULL UNIQUE,
    given_name         text NOT NULL CHECK (given_name <> ''),
    family_name        text NOT NULL CHECK (family_name <> ''),
    preferred_username text NOT NULL DEFAULT '',
    gender             text NOT NULL CHECK (gender IN ('female', 'male')),
    birthdate          date NOT NULL,
    birthplace         text NOT NULL DEFAULT '' CHECK (birthplace ~ '^([0-9][0-9AB][0-9]{3})?$'),
    birthcountry       text NOT NULL DEFAULT '99100' CHECK (birthcountry ~ '^[0-9]{5}$'),
    email              text NOT NULL DEFAULT '',
    phone              text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE mandats (
    id                   bigserial PRIMARY KEY,
    organisation_id      bigint NOT NULL REFERENCES organisations(id),
    usager_id            bigint NOT NULL REFERENCES usagers(id),
    created_by_aidant_id bigint NOT NULL REFERENCES aidants(id),
    duree                text NOT NULL CHECK (duree IN ('SHORT', 'MONTH', 'SEMESTER', 'LONG')),
    created_at           timestamptz NOT NULL,
    expires_at           timestamptz NOT NULL CHECK (expires_at > created_at),
    template_version     text NOT NULL,
    attestation_hash     text NOT NULL,
    -- Hash of the public verification token (the token itself is derived, never stored).
    verify_token_hash    bytea NOT NULL UNIQUE
);
CREATE INDEX mandats_organisation_usager_idx ON mandats (organisation_id, usager_id);
CREATE INDEX mandats_usager_idx ON mandats (usager_id);

CREATE TABLE autorisations (
    id                   bigserial PRIMARY KEY,
    mandat_id            bigint NOT NULL REFERENCES mandats(id),
    demarche             text NOT NULL CHECK (demarche IN ('papiers','famille','social','travail','logement','transports','argent','justice','etranger','loisirs')),
    revoked_at           timestamptz,
    revoked_by_aidant_id bigint REFERENCES aidants(id),
    UNIQUE (mandat_id, demarche)
);
CREATE INDEX autorisations_active_idx ON autorisations (mandat_id) WHERE revoked_at IS NULL;

-- Short-lived state of one run of the mandat wizard (or a renewal). Holds personal data only
-- for minutes; purged when expired.
CREATE TABLE mandat_flows (
    id              bigserial PRIMARY KEY,
    token_hash      bytea NOT NULL UNIQUE,
    aidant_id       bigint NOT NULL REFERENCES aidants(id) ON DELETE CASCADE,
    organisation_id bigint NOT NULL REFERENCES organisations(id),
    demarches       text[] NOT NULL CHECK (cardinality(demarches) > 0),
    duree           text NOT NULL CHECK (duree IN ('SHORT', 'MONTH', 'SEMESTER', 'LONG')),
    renewal         boolean NOT NULL DEFAULT false,
    usager_id       bigint REFERENCES usagers(id),
    fc_state_hash   bytea UNIQUE,
    fc_nonce_hash   bytea,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL
);
CREATE INDEX mandat_flows_expires_idx ON mandat_flows (expires_at);

ALTER TABLE journal
    ADD CONSTRAINT journal_usager_fk FOREIGN KEY (usager_id) REFERENCES usagers(id),
    ADD CONSTRAINT journal_mandat_fk FOREIGN KEY (mandat_id) REFERENCES mandats(id);
CREATE INDEX journal_mandat_idx ON journal (mandat_id) WHERE mandat_id IS NOT NULL;
