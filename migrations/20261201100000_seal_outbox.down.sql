DROP INDEX emails_created_idx;
ALTER TABLE emails DROP CONSTRAINT emails_delivered_bodies_wiped;
ALTER TABLE emails DROP COLUMN body_sealed;
ALTER TABLE emails ADD COLUMN body_text text NOT NULL DEFAULT '';
