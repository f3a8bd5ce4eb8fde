// The guest's serial console as the host sees it: every byte appended to a log
// file, complete lines offered to a listener, and waits for markers. Markers are
// searched anywhere in the text, not at line starts: firmware escape sequences
// and interleaved kernel messages share the line.
import { closeSync, openSync, writeSync } from 'node:fs';

interface Waiter {
  pattern: RegExp;
  resolve: (m: RegExpExecArray) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class ConsoleLog {
  private text = '';
  private pending = '';
  private readonly fd: number;
  private readonly waiters = new Set<Waiter>();
  private closedReason: string | undefined;
  /** Complete lines with the time they arrived (ms since the log was opened). */
  private readonly lines: Array<{ at: number; line: string }> = [];
  private readonly openedAt = performance.now();

  constructor(
    readonly file: string,
    private readonly onLine?: (line: string) => void,
  ) {
    this.fd = openSync(file, 'w');
  }

  append(chunk: Buffer): void {
    writeSync(this.fd, chunk);
    const s = chunk.toString('utf8');
    this.text += s;
    this.pending += s;
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl).replace(/\r$/, '');
      this.lines.push({ at: performance.now() - this.openedAt, line });
      this.onLine?.(line);
      this.pending = this.pending.slice(nl + 1);
    }
    for (const w of [...this.waiters]) {
      const m = w.pattern.exec(this.text);
      if (m) this.settle(w, () => w.resolve(m));
    }
  }

  /** Everything the guest printed so far. */
  contents(): string {
    return this.text;
  }

  /** When (ms after the log was opened) the first line matching `pattern` arrived. */
  lineTime(pattern: RegExp): number | undefined {
    return this.lines.find((l) => pattern.test(l.line))?.at;
  }

  /** All matches of a global pattern so far. */
  matches(pattern: RegExp): RegExpExecArray[] {
    const g = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g');
    return [...this.text.matchAll(g)] as RegExpExecArray[];
  }

  /** Resolves at the first match of `pattern` (already printed or yet to come). */
  waitFor(pattern: RegExp, timeoutMs: number, what = String(pattern)): Promise<RegExpExecArray> {
    const m = pattern.exec(this.text);
    if (m) return Promise.resolve(m);
    if (this.closedReason) return Promise.reject(new Error(`${what}: ${this.closedReason}`));
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        pattern,
        resolve,
        reject,
        timer: setTimeout(
          () => this.settle(w, () => reject(new Error(`${what}: not seen within ${timeoutMs} ms`))),
          timeoutMs,
        ),
      };
      this.waiters.add(w);
    });
  }

  /** No more output will come (the VM is gone): fail every wait. */
  close(reason: string): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    if (this.pending) this.onLine?.(this.pending);
    for (const w of [...this.waiters])
      this.settle(w, () => w.reject(new Error(`${String(w.pattern)}: ${reason}`)));
    closeSync(this.fd);
  }

  private settle(w: Waiter, action: () => void): void {
    clearTimeout(w.timer);
    this.waiters.delete(w);
    action();
  }
}
