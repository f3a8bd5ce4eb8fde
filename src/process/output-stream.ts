// One output stream of a container process (stdout, stderr or the pty), read by
// the host with ReadStdout/ReadStderr: each read returns at most `len` bytes,
// waits until there are some, and fails with end-of-stream once the source is
// finished and everything buffered has been handed out. Buffered output is never
// dropped; past a high-water mark the source is paused so that back-pressure
// reaches the container instead of the agent's memory.
import type { Readable } from 'node:stream';
import { endOfStream } from '../common/errors';

const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

interface Reader {
  max: number;
  resolve: (data: Buffer) => void;
  reject: (err: Error) => void;
}

export class OutputStream {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private readonly readers: Reader[] = [];
  private sourceEnded = false;
  private source: Readable | undefined;
  /** Called once, when the end of stream has been handed to a reader. */
  onFinished: (() => void) | undefined;
  private finishedReported = false;
  private noSource = false;

  constructor(
    source: Readable | undefined,
    private readonly highWaterMark = DEFAULT_HIGH_WATER_MARK,
  ) {
    if (!source) {
      this.sourceEnded = true;
      this.noSource = true;
      return;
    }
    this.source = source;
    source.on('data', (chunk: Buffer) => this.push(chunk));
    // A pty master reports EIO once the last slave fd is closed: that is its end.
    source.on('error', () => this.end());
    source.on('end', () => this.end());
    source.on('close', () => this.end());
  }

  /** True once a reader was told end-of-stream (or there never was a source). */
  get drained(): boolean {
    return this.finishedReported || this.noSource;
  }

  /** True once the source is done and nothing is left to read. */
  get finished(): boolean {
    return this.sourceEnded && this.buffered === 0;
  }

  /** Bytes held by the agent, not yet read by the host. */
  get pending(): number {
    return this.buffered;
  }

  /**
   * Up to `max` bytes; waits for data; rejects with UNKNOWN "EOF" at the end.
   * `onCancel` registers a callback for the caller going away: a read whose
   * caller left is withdrawn, so it never takes bytes nobody would receive.
   */
  read(max: number, onCancel?: (withdraw: () => void) => () => void): Promise<Buffer> {
    if (max <= 0) return Promise.resolve(Buffer.alloc(0));
    return new Promise((resolve, reject) => {
      const cancellation: { unsubscribe?: () => void } = {};
      const reader: Reader = {
        max,
        resolve: (data) => {
          cancellation.unsubscribe?.();
          resolve(data);
        },
        reject: (err) => {
          cancellation.unsubscribe?.();
          reject(err);
        },
      };
      this.readers.push(reader);
      cancellation.unsubscribe = onCancel?.(() => {
        const at = this.readers.indexOf(reader);
        if (at < 0) return;
        this.readers.splice(at, 1);
        reject(new Error('read cancelled: the caller went away'));
      });
      this.serve();
    });
  }

  /** Stops reading from the source (its fd is closed); readers get what is buffered, then EOF. */
  end(): void {
    if (this.sourceEnded) return;
    this.sourceEnded = true;
    const source = this.source;
    this.source = undefined;
    if (source && !source.destroyed) source.destroy();
    this.serve();
  }

  private push(chunk: Buffer): void {
    if (this.sourceEnded) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered >= this.highWaterMark) this.source?.pause();
    this.serve();
  }

  private serve(): void {
    while (this.readers.length > 0) {
      if (this.buffered > 0) {
        const reader = this.readers.shift()!;
        reader.resolve(this.take(reader.max));
      } else if (this.sourceEnded) {
        for (const reader of this.readers.splice(0)) reader.reject(endOfStream());
        this.reportFinished();
      } else {
        return;
      }
    }
  }

  private take(max: number): Buffer {
    let out: Buffer;
    const first = this.chunks[0];
    if (first.length <= max) {
      // Whole chunks, as many as fit.
      const parts: Buffer[] = [];
      let size = 0;
      while (this.chunks.length && size + this.chunks[0].length <= max) {
        const c = this.chunks.shift()!;
        parts.push(c);
        size += c.length;
      }
      out = parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
    } else {
      out = first.subarray(0, max);
      this.chunks[0] = first.subarray(max);
    }
    this.buffered -= out.length;
    if (this.source?.isPaused() && this.buffered < this.highWaterMark / 2) this.source.resume();
    return out;
  }

  private reportFinished(): void {
    if (this.finishedReported) return;
    this.finishedReported = true;
    this.onFinished?.();
  }
}
