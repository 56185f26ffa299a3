/** Told which user's requests changed. Must not throw: it runs inside the store's writes. */
export type RequestChangeListener = (teamId: string, userId: string) => void;

/**
 * Which users' requests changed, for whoever shows them (the overview re-publishes their Home
 * tab). The store notifies, the overview subscribes: neither has to exist before the other.
 */
export const createRequestChanges = () => {
  const listeners = new Set<RequestChangeListener>();
  return {
    notify(teamId: string, userId: string): void {
      for (const listener of listeners) listener(teamId, userId);
    },
    /** Returns the unsubscribe. */
    subscribe(listener: RequestChangeListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
};

export type RequestChanges = ReturnType<typeof createRequestChanges>;
