// Cards a record's page shows after its form, by entity key: each is
// section(entity, record, signal, onChange) -> node (or null when the
// member may not use it), where onChange() reloads the page after the card
// changed the record. Adding one: its module, and a row here.
import { threadSection } from './ticket_thread.js';
import { filesSection } from './ticket_files.js';
import { portalSection } from './contact_portal.js';
import { deadlineCell, gdprSection } from './gdpr.js';
import { retentionBulk, retentionFormPreview, retentionSection } from './retention_rules.js';

export const RECORD_SECTIONS = {
  tickets: [threadSection, filesSection],
  contacts: [portalSection],
  gdpr: [gdprSection],
  retention_rules: [retentionSection],
};

// List cells drawn by a page of their own, by `<entity key>.<field>`:
// cell(record) -> text or node.
export const LIST_CELLS = {
  'gdpr.deadline': deadlineCell,
};

// Bulk actions of an entity's list, by entity key: make(entity, view()) ->
// {column (the selection), toolbar: [nodes], onData, report (a node above
// the list)}; offered to those who may edit the entity's records.
export const LIST_BULK = {
  retention_rules: retentionBulk,
};

// Parts inside an entity's form, above its buttons, by entity key:
// part(entity, {byName: {field: control}, signal}) -> node (or null).
export const FORM_EXTRAS = {
  retention_rules: [retentionFormPreview],
};
