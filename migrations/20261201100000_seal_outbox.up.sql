-- A login link is a credential. The outbox keeps bodies sealed (AES-GCM under a key derived
-- from AC_SECRET_KEY, which the database never sees) until delivery, then wipes them: only who
-- was written to, when and about what stays, for the retention period. Bodies written before
-- this migration were in clear; they are dropped (the links in them expired after 5 minutes).
ALTER TABLE emails DROP COLUMN body_text;
ALTER TABLE emails ADD COLUMN body_sealed bytea;
ALTER TABLE emails ADD CONSTRAINT emails_delivered_bodies_wiped CHECK (sent_at IS NULL OR body_sealed IS NULL);
CREATE INDEX emails_created_idx ON emails (created_at);
