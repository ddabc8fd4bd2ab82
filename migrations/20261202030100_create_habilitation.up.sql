-- The habilitation form. A demandeur files requests without an account: their email is
-- confirmed by a link (valid 3 days), and their space is reached through an unguessable token
-- (its hash finds them; sealed, it can be emailed again). A request holds the structure, its
-- référent, the people to accredit and the five commitments; at submission it gets its
-- habilitation number, which the organisation keeps once the team validates.
CREATE TABLE demandeurs (
    id                 bigserial PRIMARY KEY,
    email              citext NOT NULL UNIQUE CHECK (email = lower(btrim(email::text)) AND email LIKE '%_@_%'),
    first_name         text NOT NULL CHECK (first_name <> ''),
    last_name          text NOT NULL CHECK (last_name <> ''),
    profession         text NOT NULL CHECK (profession <> ''),
    phone              text NOT NULL DEFAULT '',
    token_hash         bytea NOT NULL UNIQUE,
    token_sealed       bytea NOT NULL,
    confirm_key_hash   bytea UNIQUE,
    confirm_sent_at    timestamptz,
    email_confirmed_at timestamptz,
    created_at         timestamptz NOT NULL
);

CREATE SEQUENCE habilitation_number_seq START 1000;

-- Statuses (labels in the views): new (brouillon), ac_validation_processing (en attente de
-- validation), validated, refused, closed, changes_required, changes_proposed. Which
-- transitions are allowed is store.HabilitationTransition's table.
CREATE TABLE organisation_requests (
    id                   bigserial PRIMARY KEY,
    uuid                 uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    demandeur_id         bigint NOT NULL REFERENCES demandeurs(id),
    status               text NOT NULL DEFAULT 'new' CHECK (status IN
        ('new', 'ac_validation_processing', 'validated', 'refused', 'closed', 'changes_required', 'changes_proposed')),
    siret                text NOT NULL CHECK (siret ~ '^[0-9]{14}$'),
    name                 text NOT NULL DEFAULT '',
    type_name            text NOT NULL DEFAULT '',
    type_other           text NOT NULL DEFAULT '',
    legal_category       text NOT NULL DEFAULT '',
    address              text NOT NULL DEFAULT '',
    zipcode              text NOT NULL DEFAULT '',
    city                 text NOT NULL DEFAULT '',
    city_code            text NOT NULL DEFAULT '',
    departement          text NOT NULL DEFAULT '',
    france_services_number text NOT NULL DEFAULT '',
    web_site             text NOT NULL DEFAULT '',
    mission_description  text NOT NULL DEFAULT '',
    referent_first_name  text NOT NULL DEFAULT '',
    referent_last_name   text NOT NULL DEFAULT '',
    referent_email       text NOT NULL DEFAULT '',
    referent_phone       text NOT NULL DEFAULT '',
    referent_profession  text NOT NULL DEFAULT '',
    referent_is_aidant   boolean NOT NULL DEFAULT false,
    cgu                  boolean NOT NULL DEFAULT false,
    not_free             boolean NOT NULL DEFAULT false,
    dpo                  boolean NOT NULL DEFAULT false,
    professionals_only   boolean NOT NULL DEFAULT false,
    without_elected      boolean NOT NULL DEFAULT false,
    habilitation_number  bigint UNIQUE,
    organisation_id      bigint REFERENCES organisations(id),
    submitted_at         timestamptz,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    -- Past the draft, the request is complete: commitments, référent and number.
    CHECK (status = 'new' OR (cgu AND not_free AND dpo AND professionals_only AND without_elected
        AND referent_email <> '' AND name <> '' AND habilitation_number IS NOT NULL)),
    CHECK ((status IN ('validated', 'closed')) = (organisation_id IS NOT NULL))
);
CREATE INDEX organisation_requests_demandeur_idx ON organisation_requests (demandeur_id, created_at);
CREATE INDEX organisation_requests_status_idx ON organisation_requests (status, submitted_at);

-- The people to accredit in a request; at validation each becomes a habilitation request of
-- the new organisation.
CREATE TABLE aidant_requests (
    id                      bigserial PRIMARY KEY,
    organisation_request_id bigint NOT NULL REFERENCES organisation_requests(id) ON DELETE CASCADE,
    email                   citext NOT NULL CHECK (email = lower(btrim(email::text)) AND email LIKE '%_@_%'),
    first_name              text NOT NULL CHECK (first_name <> ''),
    last_name               text NOT NULL CHECK (last_name <> ''),
    profession              text NOT NULL CHECK (profession <> ''),
    conseiller_numerique    boolean NOT NULL DEFAULT false,
    habilitation_request_id bigint REFERENCES habilitation_requests(id),
    UNIQUE (organisation_request_id, email)
);

-- Messages between the team and the demandeur, on one request.
CREATE TABLE request_messages (
    id                      bigserial PRIMARY KEY,
    organisation_request_id bigint NOT NULL REFERENCES organisation_requests(id) ON DELETE CASCADE,
    sender                  text NOT NULL CHECK (sender IN ('staff', 'demandeur')),
    staff_id                bigint REFERENCES aidants(id),
    body                    text NOT NULL CHECK (body <> ''),
    created_at              timestamptz NOT NULL,
    CHECK ((sender = 'staff') = (staff_id IS NOT NULL))
);
CREATE INDEX request_messages_request_idx ON request_messages (organisation_request_id, id);

-- Aidant requests the team trains: when and by whom.
ALTER TABLE habilitation_requests ADD COLUMN training_date date;
ALTER TABLE habilitation_requests ADD COLUMN training_organisme text NOT NULL DEFAULT '';
