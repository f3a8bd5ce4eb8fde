// Runtime state deleted after RemoveContainer has answered. Once a container's
// processes are gone and its storages released, `runtime delete` (cgroup and state
// removal) no longer concerns the host; it runs in the background, and anything
// that needs it finished waits here: a new container with the same id, and
// DestroySandbox.
import type { Logger } from '../logging/logger';
import { errorText } from '../common/error-text';
import { KeyedMutex } from '../common/mutex';

export class PendingDeletions {
  private readonly pending = new KeyedMutex<string>();

  constructor(private readonly log: Logger) {}

  /** Runs `work` for container `id`; failures are logged. */
  add(id: string, work: () => Promise<void>): void {
    void this.pending.run(id, async () => {
      try {
        await work();
      } catch (err) {
        this.log.warn({ container: id, error: errorText(err) }, 'deleting runtime state failed');
      }
    });
  }

  /** Resolves once container `id` has no deletion in flight. */
  async wait(id: string): Promise<void> {
    await this.pending.idle(id);
  }

  async all(): Promise<void> {
    await this.pending.allIdle();
  }
}
