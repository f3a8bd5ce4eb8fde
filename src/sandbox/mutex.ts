// Orders operations on one container (create/start/exec/remove/pause/...) without
// ever blocking RPCs on other containers, or the reads, writes and waits of its
// processes, which take no lock.
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `fn` after every earlier holder finished (whatever their outcome). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
