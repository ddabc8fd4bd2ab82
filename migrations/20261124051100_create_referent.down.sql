ALTER TABLE aidants DROP COLUMN IF EXISTS search_name;
DROP TABLE IF EXISTS coreferent_requests, structure_change_requests, habilitation_requests;
ALTER TABLE organisations DROP COLUMN IF EXISTS habilitation_number;
