// One serial queue for the whole agent: work passed to `run` starts only after
// every earlier holder finished, whatever their outcome, and never blocks work
// queued elsewhere.
const settled = (): void => undefined;

export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `fn` after every earlier holder finished (whatever their outcome). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(settled, settled);
    return result;
  }

  /** Resolves once every holder so far has finished. */
  async idle(): Promise<void> {
    await this.tail;
  }
}

/** A Mutex per key; a key's entry goes away once its queue is empty. */
export class KeyedMutex<K> {
  private readonly tails = new Map<K, Promise<void>>();

  run<T>(key: K, fn: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(fn);
    const tail = result.then(settled, settled);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves once everything queued under `key` so far has finished. */
  async idle(key: K): Promise<void> {
    await this.tails.get(key);
  }

  /** Resolves once everything queued so far, under any key, has finished. */
  async allIdle(): Promise<void> {
    await Promise.all(this.tails.values());
  }

  /** Keys with work queued or running. */
  get size(): number {
    return this.tails.size;
  }
}
