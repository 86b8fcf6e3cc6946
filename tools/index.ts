// Every tool Mandate offers, in the order the README's table lists them.
import type { AnyTool } from './define.js';
import { slackTools } from './slack/index.js';
import { crmTools } from './crm/index.js';
import { calendarTools } from './calendar/index.js';
import { mandateTools } from './mandate/index.js';

export const allTools: readonly AnyTool[] = [...slackTools, ...crmTools, ...calendarTools, ...mandateTools];
