-- 0024_email_reply_to: an outgoing email may say where answers go
-- (Reply-To): a staff reply on a ticket is answered to the department's
-- address, which the email pipe reads.
ALTER TABLE email_queue ADD COLUMN reply_to TEXT;
