// Cards a record's page shows after its form, by entity key: each is
// section(entity, record, signal, onChange) -> node (or null when the
// member may not use it), where onChange() reloads the page after the card
// changed the record. Adding one: its module, and a row here.
import { threadSection } from './ticket_thread.js';
import { filesSection } from './ticket_files.js';
import { portalSection } from './contact_portal.js';

export const RECORD_SECTIONS = {
  tickets: [threadSection, filesSection],
  contacts: [portalSection],
};
