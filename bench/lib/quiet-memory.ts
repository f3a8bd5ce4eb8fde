// Resident memory once an agent has been quiet for a while. Right after a
// burst, V8 still holds the young generation it grew and the garbage of the
// burst; its memory reducer gives that back after some seconds without
// allocation. Both readings matter: the peak right after a load, and what the
// agent keeps for good.
import { memoryKb } from '../../tools/testkit/procfs';

interface QuietReading {
  /** MiB once back within the goal, or at the deadline. */
  rss: number;
  anon: number;
  /** Seconds of quiet it took. */
  afterS: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls every second after a load: the memory reducer shows as a drop from the
 * first reading; the answer is the reading 3 s after that drop (not the first
 * one under some goal, which would flatter the result). It stops early once
 * the agent is back to `idleMiB`, and gives up after `maxS`.
 */
export async function rssOnceQuiet(pid: number, idleMiB: number, maxS = 60): Promise<QuietReading> {
  const started = Date.now();
  const first = memoryKb(pid).rss / 1024;
  let droppedAt: number | undefined;
  for (;;) {
    const m = memoryKb(pid);
    const rss = m.rss / 1024;
    const afterS = (Date.now() - started) / 1000;
    if (droppedAt === undefined && rss < first - Math.max(2, first * 0.05)) droppedAt = afterS;
    const settled = droppedAt !== undefined && afterS - droppedAt >= 3;
    if (settled || rss <= idleMiB || afterS >= maxS) return { rss, anon: m.anon / 1024, afterS };
    await sleep(1000);
  }
}
