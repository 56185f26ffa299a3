/**
 * Why an answer's signal aborted when someone pressed Slack's stop button: who pressed it, and
 * which of the app's streams in the thread Slack had already stopped (`streaming_message_ts`).
 * The answer keeps what it showed and says who stopped it.
 */
export class StoppedBy extends Error {
  override readonly name = 'StoppedBy';
  constructor(
    readonly userId: string,
    /** Streams Slack stopped on the click: they take no more text, and need no chat.stopStream. */
    readonly streams: readonly string[] = [],
  ) {
    super(`stopped by ${userId}`);
  }
}

/** The stop that aborted `signal`, if a stop is what aborted it. */
export const stopOf = (signal: AbortSignal | undefined): StoppedBy | undefined =>
  signal?.aborted && signal.reason instanceof StoppedBy ? signal.reason : undefined;
