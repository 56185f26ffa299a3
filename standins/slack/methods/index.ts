import { agentMethods } from './agents.js';
import { assistantMethods } from './assistant.js';
import { authMethods } from './auth.js';
import { chatMethods } from './chat.js';
import { conversationMethods } from './conversations.js';
import { fileMethods } from './files.js';
import type { Handler } from './handler.js';
import { reactionMethods } from './reactions.js';
import { streamMethods } from './streams.js';
import { usergroupMethods } from './usergroups.js';
import { userMethods } from './users.js';
import { viewMethods } from './views.js';

/** Every Web API method the stand-in knows, by name; any other answers `unknown_method`. */
export const METHODS: Readonly<Record<string, Handler>> = Object.freeze({
  ...authMethods,
  ...chatMethods,
  ...streamMethods,
  ...reactionMethods,
  ...conversationMethods,
  ...userMethods,
  ...assistantMethods,
  ...agentMethods,
  ...viewMethods,
  ...usergroupMethods,
  ...fileMethods,
});
