-- Periodic notifications are sent at most once per kind, recipient and period: the row is
-- inserted in the transaction that queues the email, so a retried or repeated job sends nothing.
CREATE TABLE notifications_sent (
    kind       text        NOT NULL,
    recipient  text        NOT NULL,
    period     text        NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (kind, recipient, period)
);

-- An aidant may turn off the weekly digest of the mandats that expire soon (« Mon compte »).
ALTER TABLE aidants ADD COLUMN digest_opt_out boolean NOT NULL DEFAULT false;
