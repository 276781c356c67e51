-- 0034_document_sent: who an invoice or credit note was last emailed to,
-- and when (POST .../send; src/finance/document_send.c). The email
-- itself, with its PDF, is in email_queue and email_attachment.

ALTER TABLE invoice ADD COLUMN sent_to TEXT;
ALTER TABLE credit_note ADD COLUMN sent_at TEXT;
ALTER TABLE credit_note ADD COLUMN sent_to TEXT;
