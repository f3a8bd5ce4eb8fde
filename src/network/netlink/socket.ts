// Request/response over a NETLINK_ROUTE socket from the native addon. One
// request is on the wire at a time (callers queue), each with its own
// sequence number, so replies can never be confused; replies to a request
// that timed out are recognised by their old number and dropped.
import { Mutex } from '../../common/mutex';
import { native, POLL_READABLE, type NativeBinding, type PollHandle } from '../../native';
import { MalformedMessageError } from './bytes';
import { NETLINK_ROUTE, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from './constants';
import { errnoNumber, NetlinkError } from './errno';
import { decodeMessages, encodeMessage, type NetlinkMessage } from './message';
import { ReplyCollector, type ReplyState } from './reply';

/** The parts of the addon this socket uses. */
export type NetlinkBinding = Pick<
  NativeBinding,
  'netlinkOpen' | 'netlinkSend' | 'netlinkRecv' | 'poll' | 'close'
>;

export interface NetlinkSocketOptions {
  /** How long one request may wait for the kernel's answer. */
  timeoutMs?: number;
  /** How often a dump the kernel marked inconsistent (NLM_F_DUMP_INTR) is repeated. */
  dumpRetries?: number;
  binding?: NetlinkBinding;
}

/** Kernel dump messages are at most 32 KiB; single answers stay well below 64 KiB. */
const RECEIVE_SIZE = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_DUMP_RETRIES = 10;

export class NetlinkSocket {
  private bindingInUse: NetlinkBinding | undefined;
  private readonly timeoutMs: number;
  private readonly dumpRetries: number;
  private fd: number | undefined;
  private seq = 0;
  private readonly lock = new Mutex();
  private closed = false;

  constructor(options: NetlinkSocketOptions = {}) {
    // The addon loads on first use, so building the agent never depends on it.
    this.bindingInUse = options.binding;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.dumpRetries = options.dumpRetries ?? DEFAULT_DUMP_RETRIES;
  }

  /** Sends a change (NLM_F_ACK is always set) and resolves once the kernel acknowledged it. */
  async change(type: number, flags: number, body: Buffer): Promise<void> {
    await this.enqueue(() => this.exchange(type, flags | NLM_F_REQUEST | NLM_F_ACK, body, false));
  }

  /** Dumps a table; repeats the dump while the kernel reports it changed underneath (NLM_F_DUMP_INTR). */
  dump(type: number, body: Buffer): Promise<NetlinkMessage[]> {
    return this.enqueue(async () => {
      for (let attempt = 0; ; attempt++) {
        const reply = await this.exchange(type, NLM_F_REQUEST | NLM_F_DUMP, body, true);
        if (!reply.interrupted) return reply.messages;
        if (attempt >= this.dumpRetries) {
          throw new NetlinkError(errnoNumber('EINTR'), `dump kept changing after ${attempt + 1} attempts`);
        }
      }
    });
  }

  /** Closes the socket once queued requests have finished. */
  async close(): Promise<void> {
    this.closed = true;
    await this.lock.idle();
    if (this.fd !== undefined) this.bindingInUse?.close(this.fd);
    this.fd = undefined;
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('netlink socket is closed'));
    return this.lock.run(work);
  }

  private get binding(): NetlinkBinding {
    this.bindingInUse ??= native();
    return this.bindingInUse;
  }

  private socket(): number {
    if (this.fd === undefined) this.fd = this.binding.netlinkOpen(NETLINK_ROUTE, 0);
    return this.fd;
  }

  private nextSeq(): number {
    this.seq = this.seq >= 0xfffffffe ? 1 : this.seq + 1;
    return this.seq;
  }

  private exchange(
    type: number,
    flags: number,
    body: Buffer,
    dump: boolean,
  ): Promise<{ messages: NetlinkMessage[]; interrupted: boolean }> {
    const seq = this.nextSeq();
    const collector = new ReplyCollector(seq, dump);
    let fd: number;
    try {
      fd = this.socket();
      this.binding.netlinkSend(fd, encodeMessage({ type, flags, seq }, body));
    } catch (err) {
      return Promise.reject(asNetlinkError(err));
    }
    return new Promise((resolve, reject) => {
      // Armed only when the answer is not already queued.
      const armed: { watch?: PollHandle; timer?: NodeJS.Timeout } = {};
      const settle = (state: ReplyState): boolean => {
        if (state.state === 'pending') return false;
        armed.watch?.close();
        if (armed.timer) clearTimeout(armed.timer);
        if (state.state === 'done') resolve({ messages: state.messages, interrupted: state.interrupted });
        else reject(state.error);
        return true;
      };
      const fail = (error: Error): boolean => settle({ state: 'failed', error });
      // Reads every queued datagram; true once the answer is complete.
      const drain = (): boolean => {
        try {
          for (;;) {
            const datagram = this.binding.netlinkRecv(fd, RECEIVE_SIZE);
            if (datagram === null) return false;
            for (const message of decodeMessages(datagram)) {
              if (settle(collector.feed(message))) return true;
            }
          }
        } catch (err) {
          return fail(asNetlinkError(err));
        }
      };
      // rtnetlink usually answers inside sendmsg(): try before arming the poll.
      if (drain()) return;
      armed.timer = setTimeout(
        () => fail(new NetlinkError(errnoNumber('ETIMEDOUT'), `no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      armed.watch = this.binding.poll(fd, POLL_READABLE, (err) => {
        if (err) fail(err);
        else drain();
      });
    });
  }
}

/** Errors thrown by the addon carry `errno`: keep the kernel's number and text. */
function asNetlinkError(err: unknown): Error {
  if (err instanceof MalformedMessageError || err instanceof NetlinkError) return err;
  const errno = (err as { errno?: unknown }).errno;
  if (typeof errno === 'number') return new NetlinkError(Math.abs(errno));
  return err instanceof Error ? err : new Error(String(err));
}
