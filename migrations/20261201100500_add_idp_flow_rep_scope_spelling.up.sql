-- rep_scope values match our démarches whatever their case and accents: the ID token answers
-- in the spelling the request used, kept per démarche; a request whose values name none of our
-- démarches offers nothing (the aidant is told, the client gets access_denied).
ALTER TABLE idp_flows
    ADD COLUMN rep_scope_spelling jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(rep_scope_spelling) = 'object'),
    ADD COLUMN rep_scope_unmatched boolean NOT NULL DEFAULT false;
