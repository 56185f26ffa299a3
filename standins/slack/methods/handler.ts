import type { Params } from '../types.js';
import type { Workspace } from '../workspace.js';

/** One Web API method: its params in, the fields of an `ok: true` answer out (or it throws `fail(...)`). */
export type Handler = (
  p: Params,
  call: { token: string | undefined; ws: Workspace },
) => Record<string, unknown>;
