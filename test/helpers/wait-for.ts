// The one way tests wait for something the code under test finishes on its own
// time (a reap, a close, a cleanup after an answer): poll a condition on a
// timer, with a bound, so a test that would hang fails naming what it awaited.

interface WaitForOptions {
  /** How long to wait before giving up; 5 s by default. */
  timeoutMs?: number;
  /** The pause between checks; 10 ms by default. */
  intervalMs?: number;
  /**
   * What is awaited, for the failure message; a function is called at the
   * timeout, so it can say what was left (pids, fds, lines).
   */
  what?: string | (() => string);
}

/**
 * Resolves once `condition` (sync or async) returns true; rejects once
 * `timeoutMs` has passed without it, or with whatever the condition throws.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  options: WaitForOptions = {},
): Promise<void> {
  const { timeoutMs = 5000, intervalMs = 10 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() >= deadline) {
      const what = typeof options.what === 'function' ? options.what() : options.what;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what ?? `\`${condition.toString()}\``}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
