-- Espace référent: the habilitation number organisations are known by, and the requests a
-- référent files for the national team (people to train, trained aidants to move, co-référents
-- who are not aidants). A request is tied to one organisation and only that organisation's
-- référents see it.

ALTER TABLE organisations ADD COLUMN habilitation_number bigint UNIQUE;

-- A person to train and accredit in an organisation. Statuses (labels in the views):
-- waiting_list (the default when a référent files it), new, processing, processing_p2p,
-- validated, refused, cancelled, cancelled_by_referent.
CREATE TABLE habilitation_requests (
    id                   bigserial PRIMARY KEY,
    organisation_id      bigint NOT NULL REFERENCES organisations(id),
    email                citext NOT NULL CHECK (email = lower(btrim(email::text)) AND email LIKE '%_@_%'),
    first_name           text NOT NULL CHECK (first_name <> ''),
    last_name            text NOT NULL CHECK (last_name <> ''),
    profession           text NOT NULL DEFAULT '',
    conseiller_numerique boolean NOT NULL DEFAULT false,
    status               text NOT NULL DEFAULT 'waiting_list' CHECK (status IN
        ('waiting_list', 'new', 'processing', 'processing_p2p', 'validated', 'refused', 'cancelled', 'cancelled_by_referent')),
    origin               text NOT NULL DEFAULT 'referent' CHECK (origin IN ('referent', 'habilitation', 'other')),
    created_by_aidant_id bigint REFERENCES aidants(id),
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
-- One request in progress per person and organisation; a refused or cancelled one does not
-- stop a new one.
CREATE UNIQUE INDEX habilitation_requests_open_idx ON habilitation_requests (organisation_id, email)
    WHERE status NOT IN ('refused', 'cancelled', 'cancelled_by_referent');
CREATE INDEX habilitation_requests_organisation_idx ON habilitation_requests (organisation_id, created_at);

-- A trained aidant to attach to an organisation, reviewed by the team. aidant_id is the
-- account the email named when the request was filed, if any: the référent is never told.
CREATE TABLE structure_change_requests (
    id                        bigserial PRIMARY KEY,
    organisation_id           bigint NOT NULL REFERENCES organisations(id),
    email                     citext NOT NULL CHECK (email = lower(btrim(email::text)) AND email LIKE '%_@_%'),
    aidant_id                 bigint REFERENCES aidants(id),
    previous_organisation_ids bigint[] NOT NULL DEFAULT '{}',
    status                    text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'validated', 'refused', 'cancelled_by_referent')),
    created_by_aidant_id      bigint REFERENCES aidants(id),
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL
);
CREATE UNIQUE INDEX structure_change_requests_open_idx ON structure_change_requests (organisation_id, email)
    WHERE status = 'new';
CREATE INDEX structure_change_requests_organisation_idx ON structure_change_requests (organisation_id, created_at);

-- A référent who is not an aidant (no mandats), to be created by the team.
CREATE TABLE coreferent_requests (
    id                   bigserial PRIMARY KEY,
    organisation_id      bigint NOT NULL REFERENCES organisations(id),
    email                citext NOT NULL CHECK (email = lower(btrim(email::text)) AND email LIKE '%_@_%'),
    first_name           text NOT NULL CHECK (first_name <> ''),
    last_name            text NOT NULL CHECK (last_name <> ''),
    profession           text NOT NULL DEFAULT '',
    phone                text NOT NULL CHECK (phone ~ '^0[0-9]{9}$'),
    status               text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'validated', 'refused', 'cancelled_by_referent')),
    created_by_aidant_id bigint REFERENCES aidants(id),
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE UNIQUE INDEX coreferent_requests_open_idx ON coreferent_requests (organisation_id, email) WHERE status = 'new';

-- The référent's aidants list filters an organisation's members by words of their names and
-- email, normalised as the usagers search does (f_search_text): computed once per row here,
-- not for every row of every filter.
ALTER TABLE aidants ADD COLUMN search_name text NOT NULL
    GENERATED ALWAYS AS (public.f_search_text(first_name || ' ' || last_name || ' ' || email::text)) STORED;
