import type { App } from '@slack/bolt';
import type { Intake } from '../../intake/intake.js';
import { registerBudgetActions } from './actions/budget-actions.js';
import { registerFeedbackActions } from './actions/feedback-actions.js';
import { registerOverviewActions } from './actions/overview-actions.js';
import { registerPolicyActions } from './actions/policy-actions.js';
import { registerAskCommand } from './commands/ask.js';
import { registerAgentSessionStopped } from './events/agent-session-stopped.js';
import { registerAppContextChanged } from './events/app-context-changed.js';
import { registerAppHomeOpened } from './events/app-home-opened.js';
import { registerAppUninstalled, type UninstallDeps } from './events/app-uninstalled.js';
import { type MessageListenerDeps, registerMessageListeners } from './events/messages.js';
import { registerMessageShortcuts, type ShortcutDeps } from './shortcuts/message-shortcuts.js';
import { registerFeedbackComment } from './views/feedback-comment.js';
import { registerPolicyEdit } from './views/policy-edit.js';

/**
 * Every listener the bot puts on its Bolt app: each reads its payload and writes it durably before
 * the ack. One list, so the web role and the edge's fuzz test register the same ones.
 */
export type ListenerDeps = Omit<MessageListenerDeps, 'intake'> & {
  intake: Pick<Intake, 'accept' | 'acceptWork'>;
  /** OAuth mode: the installations an uninstall deletes. */
  installations?: UninstallDeps['installations'];
  /** The message shortcuts' modal and private replies (absent: the shortcuts are not registered). */
  shortcuts?: Pick<ShortcutDeps, 'openModal' | 'respond'>;
};

export const registerListeners = (app: App, deps: ListenerDeps): void => {
  const { intake, logger, metrics } = deps;
  registerMessageListeners(app, deps);
  for (const register of [
    registerAskCommand,
    registerAppHomeOpened,
    registerAppContextChanged,
    registerOverviewActions,
    registerFeedbackActions,
    registerFeedbackComment,
    registerAgentSessionStopped,
    registerPolicyActions,
    registerPolicyEdit,
    registerBudgetActions,
  ])
    register(app, { intake, logger, metrics });
  registerAppUninstalled(app, { intake, logger, metrics, installations: deps.installations });
  if (deps.shortcuts) registerMessageShortcuts(app, { ...deps, ...deps.shortcuts });
};
