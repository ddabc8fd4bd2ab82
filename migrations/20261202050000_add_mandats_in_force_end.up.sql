-- The espace aidant's home counts the organisation's mandats in force that end within 30 days:
-- a range of this index, whatever the organisation's size.
CREATE INDEX mandats_in_force_end_idx ON mandats (organisation_id, expires_at) WHERE revoked_at IS NULL;
