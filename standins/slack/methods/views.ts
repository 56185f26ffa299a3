import { viewParam } from '../content.js';
import { asString, fail, required } from '../params.js';
import { TRIGGER_TTL_MS } from '../workspace.js';
import type { Handler } from './handler.js';

/** The Home tab and modals. */
export const viewMethods: Record<string, Handler> = {
  'views.publish': (p, { ws }) => {
    const user = required(p, 'user_id', 'user_not_found');
    const view = viewParam(p, ['home']);
    const current = ws.homeViews.get(user);
    const hash = asString(p.hash);
    if (hash && current && hash !== current.hash) throw fail('hash_conflict');
    const stored = ws.storeView(view, current?.id);
    ws.homeViews.set(user, stored);
    return { view: stored };
  },

  'views.open': (p, { ws }) => {
    const triggerId = required(p, 'trigger_id', 'invalid_trigger_id');
    const trigger = ws.triggers.get(triggerId);
    if (trigger && (trigger.used || Date.now() - trigger.at > TRIGGER_TTL_MS))
      throw fail('expired_trigger_id');
    const view = viewParam(p, ['modal']);
    if (trigger) trigger.used = true;
    const stored = ws.storeView(view);
    ws.modalViews.set(stored.id, stored);
    return { view: stored };
  },

  'views.update': (p, { ws }) => {
    const id =
      asString(p.view_id) ??
      [...ws.modalViews.values()].find((v) => v.external_id === p.external_id && p.external_id !== undefined)
        ?.id;
    const current = id ? ws.modalViews.get(id) : undefined;
    if (!current) throw fail('not_found');
    const hash = asString(p.hash);
    if (hash && hash !== current.hash) throw fail('hash_conflict');
    const stored = ws.storeView(viewParam(p, ['modal']), current.id);
    ws.modalViews.set(stored.id, stored);
    return { view: stored };
  },
};
