-- Organisations, aidants and their memberships.
CREATE TABLE organisations (
    id                bigserial PRIMARY KEY,
    uuid              uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    name              text NOT NULL CHECK (name <> ''),
    type_name         text NOT NULL DEFAULT '',
    siret             text NOT NULL DEFAULT '',
    address           text NOT NULL DEFAULT '',
    zipcode           text NOT NULL DEFAULT '',
    city              text NOT NULL DEFAULT '',
    allowed_demarches text[] NOT NULL DEFAULT ARRAY['papiers','famille','social','travail','logement','transports','argent','justice','etranger','loisirs'],
    is_active         boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE aidants (
    id                         bigserial PRIMARY KEY,
    email                      citext NOT NULL UNIQUE CHECK (email = lower(btrim(email::text)) AND email LIKE '%_@_%'),
    first_name                 text NOT NULL,
    last_name                  text NOT NULL,
    profession                 text NOT NULL DEFAULT '',
    phone                      text NOT NULL DEFAULT '',
    current_organisation_id    bigint NOT NULL REFERENCES organisations(id),
    can_create_mandats         boolean NOT NULL DEFAULT true,
    is_active                  boolean NOT NULL DEFAULT true,
    is_staff                   boolean NOT NULL DEFAULT false,
    -- Demo accounts accept a fixed code, but only when the app runs in dev or sandbox mode.
    is_demo                    boolean NOT NULL DEFAULT false,
    last_login_at              timestamptz,
    created_at                 timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE aidant_organisations (
    aidant_id       bigint NOT NULL REFERENCES aidants(id) ON DELETE CASCADE,
    organisation_id bigint NOT NULL REFERENCES organisations(id),
    is_referent     boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aidant_id, organisation_id)
);
CREATE INDEX aidant_organisations_organisation_idx ON aidant_organisations (organisation_id);

-- The current organisation must be one the aidant belongs to. Deferred so an aidant and
-- its first membership can be inserted in one transaction.
CREATE FUNCTION check_current_organisation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM aidant_organisations
                   WHERE aidant_id = NEW.id AND organisation_id = NEW.current_organisation_id) THEN
        RAISE EXCEPTION 'aidant % is not a member of organisation %', NEW.id, NEW.current_organisation_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER aidants_current_organisation_member
    AFTER INSERT OR UPDATE OF current_organisation_id ON aidants
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_current_organisation();

-- Physical TOTP cards exist (imported in stock) before they are linked to an aidant.
CREATE TABLE cartes_totp (
    id            bigserial PRIMARY KEY,
    serial_number text NOT NULL UNIQUE CHECK (serial_number <> ''),
    seed_enc      bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE otp_devices (
    id            bigserial PRIMARY KEY,
    aidant_id     bigint NOT NULL REFERENCES aidants(id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('carte', 'app')),
    carte_id      bigint UNIQUE REFERENCES cartes_totp(id),
    seed_enc      bytea NOT NULL,
    step          integer NOT NULL CHECK (step IN (30, 60)),
    tolerance     integer NOT NULL CHECK (tolerance BETWEEN 0 AND 30),
    drift         integer NOT NULL DEFAULT 0,
    last_step     bigint NOT NULL DEFAULT 0,
    failures      integer NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    confirmed     boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'carte') = (carte_id IS NOT NULL))
);
CREATE INDEX otp_devices_aidant_idx ON otp_devices (aidant_id);
-- One app per aidant; one card per aidant.
CREATE UNIQUE INDEX otp_devices_one_kind_per_aidant ON otp_devices (aidant_id, kind);

-- Server-side sessions: the cookie carries only a signed random id; the row is keyed by its hash.
CREATE TABLE sessions (
    id_hash     bytea PRIMARY KEY,
    aidant_id   bigint REFERENCES aidants(id) ON DELETE CASCADE,
    data        bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_aidant_idx ON sessions (aidant_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE magic_tokens (
    id          bigserial PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE,
    aidant_id   bigint NOT NULL REFERENCES aidants(id) ON DELETE CASCADE,
    next_path   text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX magic_tokens_aidant_idx ON magic_tokens (aidant_id);

-- Outgoing mail. In dev and sandbox it is the readable outbox; in production a worker sends it.
CREATE TABLE emails (
    id          bigserial PRIMARY KEY,
    to_address  text NOT NULL,
    subject     text NOT NULL,
    body_text   text NOT NULL,
    created_at  timestamptz NOT NULL,
    sent_at     timestamptz
);

-- Fixed-window counters shared by every app instance (login attempts per IP, …).
CREATE TABLE rate_limits (
    key          text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL
);
