// Runtime state deleted after RemoveContainer has answered. Once a container's
// processes are gone and its storages released, `runtime delete` (cgroup and state
// removal) no longer concerns the host; it runs in the background, and anything
// that needs it finished waits here: a new container with the same id, and
// DestroySandbox.
import type { Logger } from '../logging/logger';
import { errorText } from '../common/error-text';

export class PendingDeletions {
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly log: Logger) {}

  /** Runs `work` for container `id`; failures are logged. */
  add(id: string, work: () => Promise<void>): void {
    const previous = this.pending.get(id) ?? Promise.resolve();
    const done: Promise<void> = previous
      .then(work)
      .catch((err: Error) =>
        this.log.warn({ container: id, error: errorText(err) }, 'deleting runtime state failed'),
      )
      .finally(() => {
        if (this.pending.get(id) === done) this.pending.delete(id);
      });
    this.pending.set(id, done);
  }

  /** Resolves once container `id` has no deletion in flight. */
  async wait(id: string): Promise<void> {
    await this.pending.get(id);
  }

  async all(): Promise<void> {
    await Promise.all(this.pending.values());
  }
}
