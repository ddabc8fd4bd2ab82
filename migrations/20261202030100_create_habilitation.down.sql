ALTER TABLE habilitation_requests DROP COLUMN training_organisme;
ALTER TABLE habilitation_requests DROP COLUMN training_date;
DROP TABLE request_messages;
DROP TABLE aidant_requests;
DROP TABLE organisation_requests;
DROP SEQUENCE habilitation_number_seq;
DROP TABLE demandeurs;
