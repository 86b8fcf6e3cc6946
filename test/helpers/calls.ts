// One valid call of every tool, in an order where each call can use what earlier ones
// returned (a channel's message ts, a contact id, an event id…).
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { sc } from './cli.js';

export interface ToolRun {
  name: string;
  args: Record<string, unknown>;
  result: Record<string, any>;
  isError: boolean;
}

/** Calls every one of the 21 tools once with valid arguments and returns what each answered. */
export async function callEveryTool(client: Client): Promise<ToolRun[]> {
  const runs: ToolRun[] = [];
  const call = async (name: string, args: Record<string, unknown>) => {
    const r = await client.callTool({ name, arguments: args });
    const run = { name, args, result: sc(r), isError: r.isError === true };
    runs.push(run);
    if (run.isError) throw new Error(`${name} failed: ${JSON.stringify(run.result)}`);
    return run.result;
  };
  await call('slack_list_channels', { limit: 20 });
  const history = await call('slack_read_history', { channel: '#general', limit: 20 });
  const threaded = history.messages.find((m: { reply_count?: number }) => (m.reply_count ?? 0) > 0) ?? history.messages[0];
  await call('slack_read_thread', { channel: '#general', thread_ts: threaded.thread_ts ?? threaded.ts });
  await call('slack_get_user', { user: history.messages[0].user });
  const posted = await call('slack_post_message', { channel: '#support-updates', text: 'E2E: deploy finished' });
  await call('slack_reply_in_thread', { channel: '#support-updates', thread_ts: posted.ts, text: 'E2E: details in the runbook' });
  await call('slack_add_reaction', { channel: '#support-updates', ts: posted.ts, name: 'white_check_mark' });

  const contacts = await call('crm_search_contacts', { query: 'a', limit: 5 });
  await call('crm_get_contact', { id_or_email: contacts.contacts[0].id });
  const deals = await call('crm_list_deals', { limit: 5 });
  const deal = deals.deals[0];
  await call('crm_get_deal', { deal_id: deal.id });
  const created = await call('crm_create_contact', { email: `e2e-${Date.now()}@example.com`, firstname: 'Eve', lastname: 'Tester' });
  await call('crm_update_deal_stage', { deal_id: deal.id, stage: 'contractsent' });
  await call('crm_create_note', { contact_id: created.id, body: 'E2E: called about renewal' });

  const events = await call('calendar_list_events', { limit: 20 });
  await call('calendar_find_free_time', { duration_minutes: 30 });
  const start = new Date(Date.now() + 3 * 86400_000);
  start.setUTCHours(10, 0, 0, 0);
  const ev = await call('calendar_create_event', {
    summary: 'E2E sync', start: start.toISOString(), end: new Date(start.getTime() + 1800_000).toISOString(),
    attendees: ['sam@example.com'], send_updates: 'none',
  });
  const invite = events.events.find((e: { my_response?: string; i_am_organizer?: boolean }) => e.my_response === 'needsAction') ?? events.events[0];
  const invitation = invite.my_response ? invite : (await call('calendar_list_events', { limit: 200, time_max: new Date(Date.now() + 28 * 86400_000).toISOString() })).events.find((e: { my_response?: string }) => e.my_response === 'needsAction');
  await call('calendar_respond_to_event', { event_id: invitation.id, response: 'accepted' });
  await call('calendar_delete_event', { event_id: ev.id, send_updates: 'none' });

  await call('mandate_whoami', {});
  await call('mandate_approval_status', { approval_id: 'apr_unknown' });
  return runs;
}
