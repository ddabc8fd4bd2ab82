CREATE OR REPLACE FUNCTION check_current_organisation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM aidant_organisations
                   WHERE aidant_id = NEW.id AND organisation_id = NEW.current_organisation_id) THEN
        RAISE EXCEPTION 'aidant % is not a member of organisation %', NEW.id, NEW.current_organisation_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
ALTER TABLE aidants DROP CONSTRAINT aidants_organisation_unless_staff;
ALTER TABLE aidants ALTER COLUMN current_organisation_id SET NOT NULL;
