-- The usagers list of an organisation is a list of people (issue 10), searched keystroke by
-- keystroke (issue 15). Grouping the organisation's mandats per usager on every keystroke
-- read all of them (21 000 for the largest organisation at 1 M usagers): one row per
-- (organisation, usager) instead, kept by triggers in the transaction that writes the
-- mandats, holds what the list sorts, searches and classifies on. Whether a usager is in a
-- tab depends on the clock, so the row keeps instants, not flags (store.usagerTabFilter):
--   actifs   ⇔ active_until  > now           (the last end of an unrevoked mandat)
--   expirés  ⇔ expiries && [now - 1 year, now] (the ends of the unrevoked mandats, as points)
--   révoqués ⇔ revoked_until >= now - 1 year (the last end of a revoked mandat: its revocation,
--                                              or its expiry if that came first)
--   visible  ⇔ visible_until >= now - 1 year (the last end of any mandat)
-- The page's rows then read their own mandats only (mandats_organisation_usager_idx).
CREATE TABLE organisation_usagers (
    organisation_id bigint NOT NULL REFERENCES organisations(id),
    usager_id       bigint NOT NULL REFERENCES usagers(id),
    usager_sort     text COLLATE "C" NOT NULL,
    usager_search   text NOT NULL,
    active_until    timestamptz,
    revoked_until   timestamptz,
    expiries        tstzmultirange NOT NULL DEFAULT '{}',
    visible_until   timestamptz NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (organisation_id, usager_id)
);
CREATE INDEX organisation_usagers_usager_idx ON organisation_usagers (usager_id);

-- organisation_usagers_sync recomputes the rows of these (organisation, usager) pairs from
-- their mandats, and drops the rows left without any. Each pair's row is created if need be
-- and locked first, then computed by a later statement (a new snapshot under READ
-- COMMITTED): two transactions writing mandats of one usager in one organisation at once
-- take turns, the second computing from the first's committed mandats.
CREATE FUNCTION organisation_usagers_sync(orgs bigint[], usagers bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO organisation_usagers (organisation_id, usager_id, usager_sort, usager_search)
    SELECT DISTINCT p.o, p.u, '', '' FROM unnest(orgs, usagers) AS p(o, u) ORDER BY 1, 2
    ON CONFLICT DO NOTHING;
    PERFORM 1 FROM organisation_usagers AS ou JOIN (SELECT DISTINCT * FROM unnest(orgs, usagers)) AS p(o, u)
        ON ou.organisation_id = p.o AND ou.usager_id = p.u
        ORDER BY ou.organisation_id, ou.usager_id FOR UPDATE OF ou;
    UPDATE organisation_usagers AS ou
    SET usager_sort = s.usager_sort, usager_search = s.usager_search, active_until = s.active_until,
        revoked_until = s.revoked_until, expiries = s.expiries, visible_until = s.visible_until
    FROM (SELECT m.organisation_id, m.usager_id, min(m.usager_sort) AS usager_sort, min(m.usager_search) AS usager_search,
                 max(m.expires_at) FILTER (WHERE m.revoked_at IS NULL) AS active_until,
                 max(least(m.expires_at, m.revoked_at)) FILTER (WHERE m.revoked_at IS NOT NULL) AS revoked_until,
                 coalesce(range_agg(tstzrange(m.expires_at, m.expires_at, '[]')) FILTER (WHERE m.revoked_at IS NULL), '{}') AS expiries,
                 max(least(m.expires_at, coalesce(m.revoked_at, 'infinity'))) AS visible_until
          FROM mandats AS m JOIN (SELECT DISTINCT * FROM unnest(orgs, usagers)) AS p(o, u)
               ON m.organisation_id = p.o AND m.usager_id = p.u
          GROUP BY m.organisation_id, m.usager_id) AS s
    WHERE ou.organisation_id = s.organisation_id AND ou.usager_id = s.usager_id
      AND (ou.usager_sort, ou.usager_search, ou.active_until, ou.revoked_until, ou.expiries, ou.visible_until)
          IS DISTINCT FROM (s.usager_sort, s.usager_search, s.active_until, s.revoked_until, s.expiries, s.visible_until);
    DELETE FROM organisation_usagers AS ou USING (SELECT DISTINCT * FROM unnest(orgs, usagers)) AS p(o, u)
    WHERE ou.organisation_id = p.o AND ou.usager_id = p.u
      AND NOT EXISTS (SELECT 1 FROM mandats AS m WHERE m.organisation_id = p.o AND m.usager_id = p.u);
END $$;

CREATE FUNCTION mandats_sync_organisation_usagers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    orgs bigint[];
    usagers bigint[];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        SELECT array_agg(o), array_agg(u) INTO orgs, usagers FROM (
            SELECT organisation_id, usager_id FROM old_rows UNION SELECT organisation_id, usager_id FROM new_rows) AS c(o, u);
    ELSE
        SELECT array_agg(o), array_agg(u) INTO orgs, usagers FROM (
            SELECT DISTINCT organisation_id, usager_id FROM changed) AS c(o, u);
    END IF;
    IF orgs IS NOT NULL THEN
        PERFORM organisation_usagers_sync(orgs, usagers);
    END IF;
    RETURN NULL;
END $$;

-- Statement-level with transition tables: one recomputation per statement, however many
-- rows (the scale seed COPYs 60 000 mandats at once). An update of a usager's names updates
-- the copies on their mandats (usagers_names_to_mandats), hence their rows here.
CREATE TRIGGER mandats_organisation_usagers_insert AFTER INSERT ON mandats
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION mandats_sync_organisation_usagers();
CREATE TRIGGER mandats_organisation_usagers_update AFTER UPDATE ON mandats
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mandats_sync_organisation_usagers();
CREATE TRIGGER mandats_organisation_usagers_delete AFTER DELETE ON mandats
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION mandats_sync_organisation_usagers();

-- The existing mandats, in one pass.
INSERT INTO organisation_usagers (organisation_id, usager_id, usager_sort, usager_search, active_until, revoked_until, expiries, visible_until)
SELECT m.organisation_id, m.usager_id, min(m.usager_sort), min(m.usager_search),
       max(m.expires_at) FILTER (WHERE m.revoked_at IS NULL),
       max(least(m.expires_at, m.revoked_at)) FILTER (WHERE m.revoked_at IS NOT NULL),
       coalesce(range_agg(tstzrange(m.expires_at, m.expires_at, '[]')) FILTER (WHERE m.revoked_at IS NULL), '{}'),
       max(least(m.expires_at, coalesce(m.revoked_at, 'infinity')))
FROM mandats AS m GROUP BY m.organisation_id, m.usager_id;

-- One organisation's usagers in list order, with everything the tabs and the search filter
-- on: an index-only scan that stops after the page, and counts that read one small entry per
-- person rather than per mandat.
CREATE INDEX organisation_usagers_list_idx ON organisation_usagers (organisation_id, usager_sort, usager_id)
    INCLUDE (visible_until, active_until, revoked_until, expiries, usager_search);

-- The mandats' list index served the former per-mandat grouping only.
DROP INDEX IF EXISTS mandats_usagers_list_idx;

ANALYZE organisation_usagers;
