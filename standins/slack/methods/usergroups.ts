import { fail, required } from '../params.js';
import type { Handler } from './handler.js';

/** usergroups.users.list: the members the test set (SlackApiStandin.setUsergroup), else `no_such_subteam`. */
export const usergroupMethods: Record<string, Handler> = {
  'usergroups.users.list': (p, { ws }) => {
    const id = required(p, 'usergroup', 'no_such_subteam');
    const members = ws.usergroups.get(id);
    if (!members) throw fail('no_such_subteam');
    return { users: [...members] };
  },
};
