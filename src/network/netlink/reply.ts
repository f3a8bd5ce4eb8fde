// Gathers the kernel's answer to one request out of the messages read from
// the socket. A change (sent with NLM_F_ACK) ends with an NLMSG_ERROR whose
// errno is 0 on success; a dump is a run of NLM_F_MULTI messages ended by
// NLMSG_DONE. Messages with another sequence number belong to an earlier
// request that timed out and are dropped.
import { MalformedMessageError } from './bytes';
import { NLM_F_DUMP_INTR, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN } from './constants';
import { NetlinkError } from './errno';
import { decodeDoneError, decodeErrorReply, type NetlinkMessage } from './message';

export type ReplyState =
  | { state: 'pending' }
  | {
      state: 'done';
      /** The data messages (dump entries), in kernel order. */
      messages: NetlinkMessage[];
      /** The kernel flagged the dump as inconsistent (NLM_F_DUMP_INTR): repeat it. */
      interrupted: boolean;
    }
  | { state: 'failed'; error: Error };

export class ReplyCollector {
  private readonly messages: NetlinkMessage[] = [];
  private interrupted = false;
  private result: ReplyState = { state: 'pending' };

  constructor(
    readonly seq: number,
    readonly dump: boolean,
  ) {}

  /** Feeds one received message; returns the state after it. */
  feed(message: NetlinkMessage): ReplyState {
    if (this.result.state !== 'pending' || message.seq !== this.seq) return this.result;
    if (message.flags & NLM_F_DUMP_INTR) this.interrupted = true;
    switch (message.type) {
      case NLMSG_NOOP:
        break;
      case NLMSG_ERROR: {
        const reply = decodeErrorReply(message);
        if (reply.errno !== 0)
          this.result = { state: 'failed', error: new NetlinkError(reply.errno, reply.detail) };
        else if (!this.dump) this.finish();
        break;
      }
      case NLMSG_DONE: {
        const errno = decodeDoneError(message);
        if (errno > 0) this.result = { state: 'failed', error: new NetlinkError(errno) };
        else this.finish();
        break;
      }
      case NLMSG_OVERRUN:
        this.result = { state: 'failed', error: new MalformedMessageError('kernel reported an overrun') };
        break;
      default:
        this.messages.push(message);
    }
    return this.result;
  }

  get state(): ReplyState {
    return this.result;
  }

  private finish(): void {
    this.result = { state: 'done', messages: this.messages, interrupted: this.interrupted };
  }
}
