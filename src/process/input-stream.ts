// A process's stdin as the host writes it with WriteStdin/CloseStdin. A write
// resolves once the kernel took the bytes, so a full pipe blocks that call only;
// closing is idempotent and never waits behind a blocked write (the close happens
// after pending writes drain).
import type { Writable } from 'node:stream';
import { unknown } from '../common/errors';

export class InputStream {
  private closed = false;
  private failure: Error | undefined;

  constructor(
    private readonly sink: Writable,
    /** False for a pty: closing the master would end the output too. */
    private readonly closable = true,
  ) {
    sink.on('error', (err: Error) => (this.failure = err));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes written; 0 after CloseStdin (as 1.x). Errors such as EPIPE are UNKNOWN. */
  write(data: Buffer): Promise<number> {
    if (this.closed) return Promise.resolve(0);
    if (this.failure) return Promise.reject(unknown(this.failure.message));
    if (this.sink.destroyed) return Promise.reject(unknown('write on a closed stream'));
    if (data.length === 0) return Promise.resolve(0);
    return new Promise((resolve, reject) => {
      this.sink.write(data, (err) => {
        if (err) reject(unknown(err.message));
        else resolve(data.length);
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.closable && !this.sink.destroyed) this.sink.end();
  }

  /** Drops the stream at once (container removal). */
  destroy(): void {
    this.closed = true;
    if (this.closable) this.sink.destroy();
  }
}
