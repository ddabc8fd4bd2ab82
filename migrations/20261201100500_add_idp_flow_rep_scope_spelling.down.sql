ALTER TABLE idp_flows DROP COLUMN IF EXISTS rep_scope_unmatched, DROP COLUMN IF EXISTS rep_scope_spelling;
