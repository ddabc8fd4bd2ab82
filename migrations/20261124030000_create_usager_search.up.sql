-- Usager search (espace aidant): normalised name columns served by trigram indexes, and
-- per-mandat copies of what the usagers list sorts, filters and classifies on, so that one
-- organisation's list is read in order from one index, whatever the size of the tables.

-- unaccent() is STABLE (it looks its dictionary up through search_path), so it cannot be
-- used in a generated column or an index. Naming the dictionary makes the result depend on
-- the arguments only: the usual IMMUTABLE wrapper. (If the unaccent rules file ever
-- changes, regenerate: UPDATE usagers SET given_name = given_name.)
CREATE FUNCTION public.f_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;

-- f_search_text is the one normalisation shared by the stored names and the typed query:
-- lower case, no accents (é→e, ç→c, œ→oe), hyphens and apostrophes dropped (so "Jean-François"
-- is "jeanfrancois" and "N'Diaye" is "ndiaye"), any other punctuation or space run becomes one
-- space. It leaves no LIKE wildcard (% _ \) behind.
CREATE FUNCTION public.f_search_text(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$
        SELECT btrim(regexp_replace(
            regexp_replace(lower(public.f_unaccent($1)), '[-''’ʼ‘`´‐‑]+', '', 'g'),
            '[[:space:][:punct:]\u00a0]+', ' ', 'g'))
    $$;

ALTER TABLE usagers
    -- Every name the usager may be searched by, in one string: each word of the query must
    -- be a substring of it (see store.ListUsagers).
    ADD COLUMN search_name text NOT NULL
        GENERATED ALWAYS AS (public.f_search_text(given_name || ' ' || family_name || ' ' || preferred_username)) STORED,
    -- The list's order: usage name (or birth name), then given names, accents ignored.
    ADD COLUMN sort_name text NOT NULL
        GENERATED ALWAYS AS (public.f_search_text(coalesce(nullif(preferred_username, ''), family_name) || ' ' || given_name)) STORED;

CREATE INDEX usagers_search_name_trgm_idx ON usagers USING gin (search_name gin_trgm_ops);
-- Name frequencies are very uneven: finer statistics give the planner better LIKE estimates.
ALTER TABLE usagers ALTER COLUMN search_name SET STATISTICS 1000;

-- mandats.revoked_at caches a fact of the autorisations: when the last of them was revoked,
-- if they all are (NULL otherwise). The status itself stays derived from it and the clock
-- ((*store.Mandat).Status); triggers keep the cache exact in the transaction that revokes.
ALTER TABLE mandats ADD COLUMN revoked_at timestamptz;

UPDATE mandats AS m SET revoked_at = s.last
FROM (SELECT mandat_id, max(revoked_at) AS last FROM autorisations
      GROUP BY mandat_id HAVING bool_and(revoked_at IS NOT NULL)) AS s
WHERE m.id = s.mandat_id;

CREATE FUNCTION mandats_sync_revoked_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE mandats AS m SET revoked_at = s.last
    FROM (SELECT c.mandat_id,
                 (SELECT CASE WHEN bool_and(a.revoked_at IS NOT NULL) THEN max(a.revoked_at) END
                  FROM autorisations AS a WHERE a.mandat_id = c.mandat_id) AS last
          FROM (SELECT DISTINCT mandat_id FROM changed) AS c) AS s
    WHERE m.id = s.mandat_id AND m.revoked_at IS DISTINCT FROM s.last;
    RETURN NULL;
END $$;

-- Statement-level with transition tables: one UPDATE per statement, however many rows.
CREATE TRIGGER autorisations_sync_mandat_insert AFTER INSERT ON autorisations
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION mandats_sync_revoked_at();
CREATE TRIGGER autorisations_sync_mandat_update AFTER UPDATE ON autorisations
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION mandats_sync_revoked_at();
CREATE TRIGGER autorisations_sync_mandat_delete AFTER DELETE ON autorisations
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION mandats_sync_revoked_at();

-- The usagers list is a list of mandats (one organisation's), ordered by usager name: each
-- mandat carries a copy of its usager's sort and search names, kept by triggers, so that the
-- list reads one index in order and stops at the page's last row, instead of joining and
-- sorting every mandat of a large organisation.
ALTER TABLE mandats
    ADD COLUMN usager_sort text COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN usager_search text NOT NULL DEFAULT '';

UPDATE mandats AS m SET usager_sort = u.sort_name, usager_search = u.search_name
FROM usagers AS u WHERE u.id = m.usager_id;

CREATE FUNCTION mandats_copy_usager_names() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT u.sort_name, u.search_name INTO NEW.usager_sort, NEW.usager_search
    FROM usagers AS u WHERE u.id = NEW.usager_id;
    RETURN NEW;
END $$;
CREATE TRIGGER mandats_usager_names BEFORE INSERT OR UPDATE OF usager_id ON mandats
    FOR EACH ROW EXECUTE FUNCTION mandats_copy_usager_names();

-- FranceConnect may change a usage name: the copies follow (generated columns are computed
-- before AFTER triggers run, so NEW holds the new names).
CREATE FUNCTION usagers_copy_names_to_mandats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE mandats SET usager_sort = NEW.sort_name, usager_search = NEW.search_name
    WHERE usager_id = NEW.id AND (usager_sort, usager_search) IS DISTINCT FROM (NEW.sort_name, NEW.search_name);
    RETURN NULL;
END $$;
CREATE TRIGGER usagers_names_to_mandats AFTER UPDATE OF given_name, family_name, preferred_username ON usagers
    FOR EACH ROW EXECUTE FUNCTION usagers_copy_names_to_mandats();

-- One organisation's mandats in list order, with what the tabs, the outdated rule and the
-- search filter on: an index-only scan that can stop after a page.
CREATE INDEX mandats_usagers_list_idx ON mandats (organisation_id, usager_sort, usager_id, expires_at DESC, id)
    INCLUDE (revoked_at, created_at, usager_search);
-- No trigram index on the copy: within one organisation, filtering the list index's entries
-- is faster than a trigram bitmap ANDed with them (3 ms against 13 ms for the largest
-- organisation of the 1 M usagers benchmark, BENCHMARKS.md). Past ~100 000 mandats in one
-- organisation, a (organisation_id, usager_search gin_trgm_ops) index (btree_gin) would win.
-- Finer LIKE estimates, for the choice between reading the list in order and sorting.
ALTER TABLE mandats ALTER COLUMN usager_search SET STATISTICS 1000;
