import type { CancelOutcome } from '../queue/cancel.js';

/** What `/ask cancel` (or a Cancel button) tells the user. */
export const cancelReply = (outcome: CancelOutcome): string => {
  if (outcome.ok)
    return outcome.how === 'removed'
      ? `Cancelled your queued request “${outcome.record.title}”.`
      : `Cancelling your running request “${outcome.record.title}”; the thread will say when it has stopped.`;
  if (outcome.why === 'forbidden') return "That request isn't yours, so you can't cancel it.";
  if (outcome.why === 'missing') return 'I could not find that request any more; it may have expired.';
  return 'You have nothing queued or running to cancel.';
};
