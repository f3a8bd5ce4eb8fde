// Log forwarding (agent.log_vport): the host's log collector connects to a
// vsock port and receives the agent's logfmt lines as they are written. Lines
// written while no collector is connected, or while it is not keeping up, wait
// in a bounded buffer; when the buffer overflows the oldest lines go, and the
// collector is told how many before it gets the rest. One collector at a time:
// a new connection takes over from the previous one.
import type net from 'node:net';
import { toLogfmt } from './logfmt';
import { rfc3339Nano, type LogSinks } from './logger';
import { stopListening } from '../transport/unix';

interface LogForwarderOptions {
  sinks: LogSinks;
  /** A listening (or about to listen) server: vsock in a guest, anything in tests. */
  server: net.Server;
  maxBufferBytes?: number;
  maxBufferLines?: number;
}

/** Lines waiting for a collector, oldest first, bounded in count and bytes. */
class LineBuffer {
  private lines: string[] = [];
  private head = 0;
  private bytes = 0;
  dropped = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxLines: number,
  ) {}

  get length(): number {
    return this.lines.length - this.head;
  }

  push(line: string): void {
    this.lines.push(line);
    this.bytes += line.length;
    while (this.length > this.maxLines || (this.bytes > this.maxBytes && this.length > 0)) {
      this.bytes -= this.lines[this.head].length;
      this.head++;
      this.dropped++;
    }
    // Compact now and then so the array does not grow with every line ever dropped.
    if (this.head > 1024 && this.head > this.length) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
  }

  take(): { lines: string[]; dropped: number } {
    const out = { lines: this.lines.slice(this.head), dropped: this.dropped };
    this.lines = [];
    this.head = 0;
    this.bytes = 0;
    this.dropped = 0;
    return out;
  }
}

function droppedLine(count: number): string {
  const record = {
    time: rfc3339Nano(BigInt(Date.now()) * 1_000_000n),
    level: 'warning',
    msg: 'log lines were dropped while no collector was reading',
    name: 'kata-agent',
    pid: process.pid,
    source: 'agent',
    subsystem: 'logforward',
    dropped: count,
  };
  return toLogfmt(record, Object.keys(record)) + '\n';
}

export class LogForwarder {
  private readonly buffer: LineBuffer;
  private collector: net.Socket | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: LogForwarderOptions) {
    this.buffer = new LineBuffer(options.maxBufferBytes ?? 1024 * 1024, options.maxBufferLines ?? 10_000);
    this.unsubscribe = options.sinks.add((line) => this.line(line));
    options.server.on('connection', (socket: net.Socket) => this.attach(socket));
  }

  /** Whether a collector is connected. */
  get connected(): boolean {
    return !!this.collector;
  }

  async close(): Promise<void> {
    this.unsubscribe();
    this.collector?.destroy();
    this.collector = undefined;
    await stopListening(this.options.server);
  }

  private line(line: string): void {
    const c = this.collector;
    if (c && !c.writableNeedDrain && this.buffer.length === 0) c.write(line);
    else this.buffer.push(line);
  }

  private attach(socket: net.Socket): void {
    this.collector?.destroy();
    this.collector = socket;
    // The collector only listens; whatever it sends is ignored.
    socket.resume();
    socket.on('drain', () => this.flush(socket));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.collector === socket) this.collector = undefined;
    });
    this.flush(socket);
  }

  /** Sends what waited, preceded by the count of lines lost. */
  private flush(socket: net.Socket): void {
    if (this.collector !== socket || this.buffer.length + this.buffer.dropped === 0) return;
    const { lines, dropped } = this.buffer.take();
    socket.write((dropped ? droppedLine(dropped) : '') + lines.join(''));
  }
}
