-- Staff of the national team are aidant accounts with is_staff (the column exists since the
-- core schema). They log in like any aidant but need belong to no organisation: only a staff
-- account may have no current organisation.
ALTER TABLE aidants ALTER COLUMN current_organisation_id DROP NOT NULL;
ALTER TABLE aidants ADD CONSTRAINT aidants_organisation_unless_staff
    CHECK (current_organisation_id IS NOT NULL OR is_staff);

CREATE OR REPLACE FUNCTION check_current_organisation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.current_organisation_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM aidant_organisations
                   WHERE aidant_id = NEW.id AND organisation_id = NEW.current_organisation_id) THEN
        RAISE EXCEPTION 'aidant % is not a member of organisation %', NEW.id, NEW.current_organisation_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
