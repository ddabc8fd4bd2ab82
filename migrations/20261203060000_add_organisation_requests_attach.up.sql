-- A request may be attached to an organisation already known with its SIRET (the demandeur
-- chose « rattacher la demande à cette structure » on the SIRET step): validation then adds
-- the référent and the aidants to that organisation instead of creating a second one.
ALTER TABLE organisation_requests ADD COLUMN attach_organisation_id bigint REFERENCES organisations(id);
