import type { RequestRecord, RequestState } from '../../core/request-types.js';
import { inlineMrkdwn } from './escape.js';

/** The short words the overview and the result modal show about a request: age, time, state, where. */

/** "just now", "3 min ago", "5 h ago", "2 days ago"; a timestamp in the future counts as now. */
export const formatAge = (ms: number): string => {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  return days === 1 ? '1 day ago' : `${days} days ago`;
};

/** "850 ms", "12.3 s", "3 min 05 s", "1 h 02 min". */
export const formatDuration = (ms: number): string => {
  const safe = Math.max(0, Math.round(ms));
  if (safe < 1000) return `${safe} ms`;
  if (safe < 60_000) return `${(safe / 1000).toFixed(1)} s`;
  const seconds = Math.round(safe / 1000);
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
};

const STATE_LABELS: Readonly<Record<RequestState, string>> = {
  answering: '✍️ Answering now',
  queued: '⏳ Queued',
  running: '⚙️ Running',
  done: '✅ Done',
  failed: '⚠️ Failed',
  cancelled: '🚫 Cancelled',
};

export const stateLabel = (record: Pick<RequestRecord, 'state' | 'position'>): string =>
  record.state === 'queued' && record.position !== undefined && record.position > 0
    ? `${STATE_LABELS.queued}, #${Math.floor(record.position)} in line`
    : STATE_LABELS[record.state];

// Slack ids, validated before they go inside `<#…>` (they come from our records, but a malformed one
// must not become markup).
const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;
const DM_ID = /^D[A-Z0-9]{2,}$/;

/** `<#C123>` renders the channel's name for the viewer; a DM is named as such. */
export const channelLabel = (channelId: string): string => {
  if (DM_ID.test(channelId)) return 'Direct message';
  if (CHANNEL_ID.test(channelId)) return `<#${channelId}>`;
  return inlineMrkdwn(channelId, 40);
};
