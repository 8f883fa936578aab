/**
 * Group commit: callers that ask for a commit while one is being written wait for the next one, so a burst of
 * requests shares one write (and one fdatasync) instead of paying for one each. Writes never overlap.
 */
export class GroupCommit {
  private inFlight: Promise<void> | undefined;
  private pending: { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } | undefined;

  /** @param write persists everything changed so far; called once per group, never concurrently. */
  constructor(private readonly write: () => Promise<void>) {}

  /** Resolves once a write that started after this call has finished (rejects with its error). */
  commit(): Promise<void> {
    if (!this.pending) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Handled here so a failed group nobody waits for (a timer's flush) is no unhandled rejection.
      promise.catch(() => undefined);
      this.pending = { promise, resolve, reject };
      // setImmediate, not now: requests parsed in the same event-loop turn join this group.
      if (!this.inFlight) setImmediate(() => this.startPending());
    }
    return this.pending.promise;
  }

  /** The group being written, if any (it may hold changes made before this call); rejects if its write failed. */
  get current(): Promise<void> | undefined {
    return this.inFlight;
  }

  private startPending(): void {
    const group = this.pending;
    if (!group || this.inFlight) return;
    this.pending = undefined;
    this.inFlight = group.promise;
    void this.write()
      .then(group.resolve, group.reject)
      .finally(() => {
        this.inFlight = undefined;
        this.startPending();
      });
  }
}
