// The Slack tools, in the order of the contract's table.
import type { AnyTool } from '../define.js';
import { slackListChannels } from './slack_list_channels.js';
import { slackReadHistory } from './slack_read_history.js';
import { slackReadThread } from './slack_read_thread.js';
import { slackGetUser } from './slack_get_user.js';
import { slackPostMessage } from './slack_post_message.js';
import { slackReplyInThread } from './slack_reply_in_thread.js';
import { slackAddReaction } from './slack_add_reaction.js';

/** Every Slack tool: reads first, then writes. */
export const slackTools: AnyTool[] = [
  slackListChannels,
  slackReadHistory,
  slackReadThread,
  slackGetUser,
  slackPostMessage,
  slackReplyInThread,
  slackAddReaction,
];

export { slackListChannels, slackReadHistory, slackReadThread, slackGetUser, slackPostMessage, slackReplyInThread, slackAddReaction };
