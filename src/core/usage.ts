/** What `/ask help` (or an `/ask` with nothing to do) shows: the edge acks with it, the handler responds with it. */
export const USAGE = [
  '*Ask Backchannel*',
  '• `/ask <question>`: I start a thread here and answer in it. Reply in the thread to continue.',
  '• `/ask later <question>`: I queue it and reply in the thread when it is done; no need to wait.',
  '• `/ask sessions`: your sessions and their state (also on my Home tab).',
  '• `/ask cancel`: cancel your newest queued or running request.',
  '• `/ask usage`: the tokens you used today and this month, against your daily budget.',
  '• Mention me (`@Backchannel <question>`) in a channel or thread, or send me a DM.',
].join('\n');
