ALTER TABLE mandat_flows DROP COLUMN IF EXISTS mandat_id;
