import fc from 'fast-check';

/**
 * fast-check generators of hostile Slack request bodies, for the fuzz tests of the HTTP edge. Each
 * starts from a real payload the bot handles (an event envelope, `/ask`, a Home button click, a
 * view submission) and breaks one to three fields at the paths Bolt and the listeners read: wrong
 * types, null, deletion, deep nesting, huge arrays, 10,000-character ids, NUL and lone surrogates;
 * or replaces the whole body (JSON `null`, an array, a number, `payload=null`, garbage).
 */

export interface HostileCase {
  label: string;
  contentType: string;
  body: string;
}

const JSON_TYPE = 'application/json';
const FORM = 'application/x-www-form-urlencoded';

/** Nested arrays `depth` deep, built without recursion. */
export const nested = (depth: number): unknown => {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

export const hostileString = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    '',
    '\u0000',
    'U1\u0000',
    '\ud800',
    '\udfff',
    'x\ud83d',
    '<!channel>',
    'U1:C1:1.1',
    '%00',
    '\r\n',
    ' ',
  ),
  fc.integer({ min: 1_000, max: 12_000 }).map((n) => 'U'.repeat(n)),
);

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  hostileString,
  fc.constantFrom([], {}, [null], [{}], [[]]),
  fc.array(fc.oneof(fc.constant(null), fc.integer(), hostileString), { maxLength: 3 }),
  // Huge arrays and deep nesting, well inside the bot's 1 MiB body limit.
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => Array.from({ length: n }, () => 0)),
  fc.integer({ min: 50, max: 3_000 }).map(nested),
  fc.object({ maxDepth: 2, maxKeys: 4 }),
);

type Path = (string | number)[];

/** Sets (or, with `undefined`, deletes) the value at `path`, creating objects on the way. */
const put = (root: unknown, path: Path, value: unknown): unknown => {
  if (path.length === 0) return value;
  // Copied on the way down: generated values (constants among them) are shared between cases.
  const base = (
    Array.isArray(root) ? [...root] : typeof root === 'object' && root !== null ? { ...root } : {}
  ) as Record<string | number, unknown>;
  const [head, ...rest] = path as [string | number, ...Path];
  const next = put(base[head], rest, value);
  if (next === undefined) delete base[head];
  else base[head] = next;
  return base;
};

const mutated = <T>(base: () => T, paths: Path[]) =>
  fc
    .array(fc.tuple(fc.constantFrom(...paths), fc.option(hostileValue, { nil: undefined, freq: 4 })), {
      minLength: 1,
      maxLength: 3,
    })
    .map((edits) => {
      let body: unknown = base();
      for (const [path, value] of edits) body = put(body, path, value);
      return { body, edits: edits.map(([p]) => p.join('.') || '(body)').join(',') };
    });

const mention = () => ({
  token: 'legacy',
  team_id: 'T0TEAM',
  api_app_id: 'A0APP',
  type: 'event_callback',
  event_id: 'Ev0FUZZ',
  event_time: 1_700_000_000,
  authorizations: [{ enterprise_id: null, team_id: 'T0TEAM', user_id: 'U0BOT', is_bot: true }],
  event: {
    type: 'app_mention',
    user: 'U0FUZZ',
    text: '<@U0BOT> hello',
    ts: '1700000000.000100',
    channel: 'C0FUZZ',
    channel_type: 'channel',
    team: 'T0TEAM',
  },
});

const EVENT_PATHS: Path[] = [
  [],
  ['type'],
  ['team_id'],
  ['event_id'],
  ['authorizations'],
  ['authorizations', 0],
  ['authorizations', 0, 'team_id'],
  ['authorizations', 0, 'enterprise_id'],
  ['event'],
  ['event', 'type'],
  ['event', 'user'],
  ['event', 'text'],
  ['event', 'ts'],
  ['event', 'thread_ts'],
  ['event', 'channel'],
  ['event', 'channel_type'],
  ['event', 'subtype'],
  ['event', 'team'],
  ['event', 'item'],
  ['event', 'subteam'],
  ['event', 'tab'],
  ['event', 'blocks'],
];

/** The Agent messaging experience's events: the Messages tab opened, and the context changed. */
const agentViewEvent = () => ({
  ...mention(),
  authorizations: [{ team_id: 'T0TEAM', user_id: 'U0FUZZ', is_bot: false }],
  event: {
    type: 'app_context_changed',
    user: 'U0FUZZ',
    channel: 'D0FUZZ',
    tab: 'messages',
    context: {
      entities: [
        { type: 'slack#/types/message_context', value: { channel_id: 'C0FUZZ', message_ts: '1.2' } },
        { type: 'slack#/types/channel_id', value: 'C0FUZZ', team_id: 'T0TEAM' },
      ],
    },
    event_ts: '1700000000.000100',
  },
});
const AGENT_VIEW_PATHS: Path[] = [
  ['event', 'type'],
  ['event', 'user'],
  ['event', 'channel'],
  ['event', 'context'],
  ['event', 'context', 'entities'],
  ['event', 'context', 'entities', 0],
  ['event', 'context', 'entities', 0, 'value'],
  ['event', 'context', 'entities', 0, 'value', 'channel_id'],
  ['event', 'context', 'entities', 1, 'type'],
  ['event', 'context', 'entities', 1, 'value'],
  ['authorizations', 0, 'user_id'],
  ['authorizations', 0, 'is_bot'],
];

/** Slack's stop button on an agent session (`agent_session_stopped`). */
const sessionStopped = () => ({
  ...mention(),
  event: {
    type: 'agent_session_stopped',
    channel: 'C0FUZZ',
    user: 'U0FUZZ',
    thread_ts: '1700000000.000100',
    streaming_message_ts: ['1700000000.000200'],
    event_ts: '1700000000.000300',
  },
});

const STOP_PATHS: Path[] = [
  ['event', 'type'],
  ['event', 'channel'],
  ['event', 'user'],
  ['event', 'thread_ts'],
  ['event', 'streaming_message_ts'],
  ['event', 'streaming_message_ts', 0],
  ['event', 'event_ts'],
  ['team_id'],
  ['authorizations', 0, 'team_id'],
];

const command = () => ({
  token: 'legacy',
  team_id: 'T0TEAM',
  channel_id: 'C0FUZZ',
  user_id: 'U0FUZZ',
  command: '/ask',
  text: 'hello',
  response_url: 'https://hooks.slack.com/commands/T0TEAM/1/abc',
  trigger_id: '1700000000.1.abc',
});
const COMMAND_KEYS = [...Object.keys(command()), 'payload', 'ssl_check', 'event'];

const blockAction = () => ({
  type: 'block_actions',
  user: { id: 'U0FUZZ', team_id: 'T0TEAM' },
  team: { id: 'T0TEAM' },
  enterprise: null,
  api_app_id: 'A0APP',
  trigger_id: '1700000000.1.abc',
  container: { type: 'view', view_id: 'V0HOME' },
  view: { id: 'V0HOME', type: 'home', blocks: [] },
  actions: [{ action_id: 'bc_mark_read', block_id: 'b1', value: 'req-1', type: 'button', action_ts: '1.2' }],
});
const ACTION_PATHS: Path[] = [
  [],
  ['type'],
  ['user'],
  ['user', 'id'],
  ['user', 'team_id'],
  ['team'],
  ['team', 'id'],
  ['enterprise'],
  ['actions'],
  ['actions', 0],
  ['actions', 0, 'action_id'],
  ['actions', 0, 'value'],
  ['actions', 0, 'action_ts'],
  ['channel'],
  ['view'],
  ['container'],
  ['trigger_id'],
  ['response_url'],
  ['response_urls'],
  ['function_data'],
];

const viewSubmission = () => ({
  type: 'view_submission',
  user: { id: 'U0FUZZ', team_id: 'T0TEAM' },
  team: { id: 'T0TEAM' },
  view: { id: 'V0MODAL', callback_id: 'bc_modal', state: { values: {} } },
  response_urls: [],
});
const VIEW_PATHS: Path[] = [
  ['view'],
  ['view', 'callback_id'],
  ['view', 'app_installed_team_id'],
  ['user'],
  ['team'],
  ['response_urls'],
  ['response_urls', 0],
];

const messageShortcut = () => ({
  type: 'message_action',
  callback_id: 'bc_summarize',
  trigger_id: '1700000000.1.abc',
  user: { id: 'U0FUZZ', team_id: 'T0TEAM' },
  team: { id: 'T0TEAM', domain: 'fuzz' },
  channel: { id: 'C0FUZZ', name: 'fuzz' },
  message: { type: 'message', user: 'U0OTHER', ts: '1700000000.000100', text: 'look at this' },
  message_ts: '1700000000.000100',
  action_ts: '1700000001.000200',
  response_url: 'https://hooks.slack.com/app/T0TEAM/1/abc',
});
const SHORTCUT_PATHS: Path[] = [
  [],
  ['type'],
  ['callback_id'],
  ['trigger_id'],
  ['user'],
  ['user', 'id'],
  ['team'],
  ['channel'],
  ['channel', 'id'],
  ['message'],
  ['message', 'ts'],
  ['message', 'text'],
  ['message', 'thread_ts'],
  ['message_ts'],
  ['action_ts'],
  ['response_url'],
];

/** JSON.stringify that cannot throw (a value nested past the stack is sent as a deep string instead). */
const toJson = (v: unknown): string => {
  try {
    return JSON.stringify(v) ?? 'null';
  } catch {
    return `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
  }
};

const formOf = (fields: Record<string, unknown>, dupes: string[]): string => {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    form.append(k, typeof v === 'string' ? v : toJson(v));
    if (dupes.includes(k)) form.append(k, 'U0DUPE');
  }
  return form.toString();
};

const contentType = (usual: string) =>
  fc.constantFrom(usual, usual, usual, usual, JSON_TYPE, FORM, `${FORM}; charset=utf-8`, 'text/plain');

const events = fc
  .tuple(mutated(mention, EVENT_PATHS), contentType(JSON_TYPE))
  .map(([m, type]): HostileCase => ({ label: `event ${m.edits}`, contentType: type, body: toJson(m.body) }));

const stops = fc
  .tuple(mutated(sessionStopped, STOP_PATHS), contentType(JSON_TYPE))
  .map(([m, type]): HostileCase => ({ label: `stop ${m.edits}`, contentType: type, body: toJson(m.body) }));

const commands = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom(...COMMAND_KEYS), fc.option(hostileString, { nil: undefined })), {
      minLength: 1,
      maxLength: 3,
    }),
    fc.subarray(COMMAND_KEYS, { maxLength: 2 }),
    contentType(FORM),
  )
  .map(([edits, dupes, type]): HostileCase => {
    const fields: Record<string, unknown> = command();
    for (const [k, v] of edits) fields[k] = v;
    return {
      label: `command ${edits.map(([k]) => k).join(',')}${dupes.length ? ` dup ${dupes}` : ''}`,
      contentType: type,
      body: formOf(fields, dupes),
    };
  });

const payloads = (base: () => unknown, paths: Path[], what: string) =>
  fc.tuple(mutated(base, paths), contentType(FORM)).map(
    ([m, type]): HostileCase => ({
      label: `${what} ${m.edits}`,
      contentType: type,
      body: `payload=${encodeURIComponent(toJson(m.body))}`,
    }),
  );

const RAW_BODIES = [
  'null',
  '[]',
  '5',
  '"x"',
  'true',
  '{}',
  '{"event":null}',
  '{"event":"x"}',
  '{"event":{}}',
  '{"type":"event_callback","event":{"type":"message","channel":null}}',
  '{"command":5}',
  '{"actions":5}',
  '{"actions":[]}',
  '{"type":"view_submission"}',
  '{"type":"block_suggestion"}',
  '{"type":"shortcut"}',
  '{"type":"url_verification"}',
  '{"type":"url_verification","challenge":{}}',
  '{',
  '\u0000',
  `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
];
const RAW_FORMS = [
  'payload=null',
  'payload=',
  'payload=[',
  'payload=5',
  'payload=%22x%22',
  'payload=%ZZ',
  'payload=[]',
];

const raw = fc.oneof(
  fc
    .constantFrom(...RAW_BODIES)
    .map((body): HostileCase => ({ label: 'raw json', contentType: JSON_TYPE, body })),
  fc.constantFrom(...RAW_FORMS).map((body): HostileCase => ({ label: 'raw form', contentType: FORM, body })),
  fc
    .tuple(fc.string({ unit: 'binary', maxLength: 64 }), contentType(JSON_TYPE))
    .map(([body, type]): HostileCase => ({ label: 'random text', contentType: type, body })),
);

const agentViewEvents = fc
  .tuple(mutated(agentViewEvent, AGENT_VIEW_PATHS), fc.constantFrom('app_context_changed', 'app_home_opened'))
  .map(([m, type]): HostileCase => {
    // The same body as either event, unless a mutation already replaced the type.
    const body = m.body as { event?: { type?: unknown } };
    if (body.event?.type === 'app_context_changed') body.event = { ...body.event, type };
    return { label: `agent view event ${m.edits}`, contentType: JSON_TYPE, body: toJson(body) };
  });

/** Any hostile signed body. */
export const hostileCase: fc.Arbitrary<HostileCase> = fc.oneof(
  { arbitrary: events, weight: 4 },
  { arbitrary: agentViewEvents, weight: 2 },
  { arbitrary: stops, weight: 1 },
  { arbitrary: commands, weight: 2 },
  { arbitrary: payloads(blockAction, ACTION_PATHS, 'block_actions'), weight: 3 },
  { arbitrary: payloads(viewSubmission, VIEW_PATHS, 'view'), weight: 1 },
  { arbitrary: payloads(messageShortcut, SHORTCUT_PATHS, 'shortcut'), weight: 2 },
  { arbitrary: raw, weight: 1 },
);
