// crm_create_note: logs a note on one contact's HubSpot timeline.
import { z } from 'zod';
import { defineTool } from '../define.js';
import { associatedIds } from '../../src/connectors/crm.js';
import type { CrmConnector } from '../../src/connectors/crm.js';
import { clip, recordIdArg } from './lib/shapes.js';

const input = z.object({
  contact_id: recordIdArg('contact').describe('The HubSpot record ID of the contact the note is about (find it with crm_search_contacts).'),
  body: z.string().trim().min(1).max(65_536).describe('The note text (plain text; HubSpot limits notes to 65,536 characters).'),
  timestamp: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('When the note happened, ISO 8601 ("2025-06-02T14:30:00Z"); it places the note on the timeline. Defaults to now.'),
});

const output = z.object({
  id: z.string().describe('HubSpot record ID of the new note.'),
  contact_id: z.string().describe('The contact the note is logged on.'),
  body: z.string().describe('The note text as stored.'),
  timestamp: z.string().describe('Where the note sits on the timeline (ISO 8601).'),
  created_at: z.string().describe('When the note was created (ISO 8601).'),
});

/** Creates a note associated with a contact (POST /crm/v3/objects/notes). */
export const crmCreateNote = defineTool<CrmConnector, typeof input, typeof output>({
  name: 'crm_create_note',
  title: 'Add a note to a CRM contact',
  description:
    "Logs a note on one contact's timeline in the HubSpot CRM, e.g. a summary of a call or meeting. Everyone with access " +
    'to the CRM sees it; it cannot be edited through this tool. Returns the new note with its ID.',
  provider: 'crm',
  access: 'write',
  scopes: ['crm.objects.contacts.write'],
  input,
  output,
  summarize: (args) => `add a note to CRM contact ${args.contact_id}: "${clip(args.body)}"`,
  handler: async (args, ctx) => {
    const note = await ctx.connector.createNote({
      body: args.body,
      timestamp: args.timestamp ?? new Date().toISOString(),
      contactId: args.contact_id,
    });
    return {
      id: note.id,
      contact_id: associatedIds(note, 'contacts')[0] ?? args.contact_id,
      body: note.properties.hs_note_body ?? args.body,
      timestamp: note.properties.hs_timestamp ?? args.timestamp ?? note.createdAt,
      created_at: note.createdAt,
    };
  },
});
