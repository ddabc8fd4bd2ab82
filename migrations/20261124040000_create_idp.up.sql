-- The FranceConnect-facing OpenID provider (we are FI). Client secrets, codes and access tokens
-- are stored as SHA-256 hashes; private keys, and the secrets HS256 clients are signed with, are
-- sealed (AES-GCM) with the application key.
CREATE TABLE idp_clients (
    id               text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'),
    name             text NOT NULL DEFAULT '',
    secret_hash      bytea NOT NULL CHECK (length(secret_hash) = 32),
    -- Only for HS256: the ID token and userinfo JWT are signed with the secret itself.
    secret_enc       bytea,
    redirect_uris    text[] NOT NULL CHECK (cardinality(redirect_uris) > 0),
    post_logout_uris text[] NOT NULL DEFAULT '{}',
    id_token_alg     text NOT NULL DEFAULT 'ES256' CHECK (id_token_alg IN ('ES256', 'RS256', 'HS256')),
    userinfo_format  text NOT NULL DEFAULT 'json' CHECK (userinfo_format IN ('json', 'jwt')),
    -- démarche key → the value the client uses for it in rep_scope.
    rep_scope_values jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(rep_scope_values) = 'object'),
    source           text NOT NULL CHECK (source IN ('config', 'cli')),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CHECK ((id_token_alg = 'HS256') = (secret_enc IS NOT NULL))
);

-- Signing keys shared by every app instance. One active key per algorithm; retired keys stay
-- published in the JWKS until tokens they signed have expired.
CREATE TABLE idp_signing_keys (
    kid         text PRIMARY KEY,
    alg         text NOT NULL CHECK (alg IN ('ES256', 'RS256')),
    private_enc bytea NOT NULL, -- PKCS #8, sealed
    public_der  bytea NOT NULL, -- PKIX
    created_at  timestamptz NOT NULL,
    retired_at  timestamptz
);
CREATE UNIQUE INDEX idp_signing_keys_active_idx ON idp_signing_keys (alg) WHERE retired_at IS NULL;

-- One /authorize request, from FranceConnect's redirect to the code exchange (minutes). The row
-- is bound to the aidant who opens it first, then records the usager, the démarche and the
-- autorisation used, and the code (hashed, single use). Purged an hour after creation.
CREATE TABLE idp_flows (
    id                    bigserial PRIMARY KEY,
    token_hash            bytea NOT NULL UNIQUE,
    client_id             text NOT NULL REFERENCES idp_clients(id) ON DELETE CASCADE,
    redirect_uri          text NOT NULL,
    state                 text NOT NULL,
    nonce                 text NOT NULL,
    scopes                text[] NOT NULL,
    rep_scope_requested   boolean NOT NULL DEFAULT false,
    rep_scope             text[] NOT NULL DEFAULT '{}', -- démarche keys; empty = no restriction
    code_challenge        text NOT NULL DEFAULT '',
    code_challenge_method text NOT NULL DEFAULT '',
    aidant_id             bigint REFERENCES aidants(id) ON DELETE CASCADE,
    organisation_id       bigint REFERENCES organisations(id),
    usager_id             bigint REFERENCES usagers(id),
    autorisation_id       bigint REFERENCES autorisations(id),
    demarche              text NOT NULL DEFAULT '',
    code_hash             bytea UNIQUE,
    code_expires_at       timestamptz,
    code_used_at          timestamptz,
    completed_at          timestamptz,
    created_at            timestamptz NOT NULL,
    expires_at            timestamptz NOT NULL CHECK (expires_at > created_at),
    CHECK ((aidant_id IS NULL) = (organisation_id IS NULL)),
    CHECK ((code_hash IS NULL) = (completed_at IS NULL)),
    CHECK (code_hash IS NULL OR (usager_id IS NOT NULL AND autorisation_id IS NOT NULL
                                 AND demarche <> '' AND code_expires_at IS NOT NULL))
);
CREATE INDEX idp_flows_created_idx ON idp_flows (created_at);

CREATE TABLE idp_tokens (
    id          bigserial PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE,
    flow_id     bigint NOT NULL REFERENCES idp_flows(id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL CHECK (expires_at > created_at),
    revoked_at  timestamptz,
    -- First successful userinfo: use_autorisation is journaled then, once per token.
    used_at     timestamptz
);
CREATE INDEX idp_tokens_flow_idx ON idp_tokens (flow_id);

-- /authorize asks when the aidant last proved a TOTP code (prompt=login): a small index of
-- those journal rows, so that the FI's own use_autorisation rows are never scanned for it.
CREATE INDEX journal_code_proof_idx ON journal (aidant_id, id)
    WHERE action IN ('connect_aidant', 'activity_check_aidant');
