-- 0035_proposal_sent_to: who a proposal was last emailed to (POST
-- /api/v1/proposals/{id}/email; src/finance/document_send.c).

ALTER TABLE proposal ADD COLUMN sent_to TEXT;
