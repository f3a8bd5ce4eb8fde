// Replays the requests a real Kata 1.12 runtime sent to the agent (a JSON-lines
// recording, one request a line, with placeholders for ids) against an agent,
// the way the runtime sends them: control calls one after the other, each
// stream read in a loop of its own until EOF (the number of reads depends on how
// output is chunked), GetOOMEvent left pending for the sandbox's life. Every
// answer is kept beside what the runtime got, for the caller to compare.
import { readFileSync } from 'node:fs';
import type { AgentClient } from '../client/agent-client';
import { RpcError } from '../client/grpc-unary';
import { findMethod, type MethodCodec } from '../client/methods';
import { Code, codeName } from '../common/status';

export interface RecordedCall {
  seq: number;
  /** The ctr command that was running. */
  step: string;
  rpc: string;
  request: Record<string, unknown>;
  /** "OK", a gRPC code name, or null for a call never answered. */
  code: string | null;
  error?: string;
}

export interface Answer {
  /** "OK" or the gRPC code name. */
  code: string;
  message: string;
  response?: unknown;
}

interface CallOutcome {
  call: RecordedCall;
  /** The request as sent, placeholders replaced. */
  request: unknown;
  answer?: Answer;
  /** Calls answered before this one's answer arrived (for calls left running). */
  answeredAfter?: number;
  /** Why the call was not sent (a read of a stream that had already ended). */
  skipped?: string;
}

export interface StreamOutcome {
  /** "ReadStdout <container> <exec>". */
  key: string;
  reads: number;
  /** The recorded reads of this stream. */
  recordedReads: number;
  data: Buffer;
  /** The answer that ended the loop: UNKNOWN "EOF" at a normal end. */
  end?: Answer;
}

const STREAM_READS = new Set(['ReadStdout', 'ReadStderr']);
/** Calls the runtime leaves running: they answer only when something happens. */
const LEFT_RUNNING = new Set(['GetOOMEvent']);

export function parseRecording(text: string): RecordedCall[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((line, i) => {
      const c = JSON.parse(line) as RecordedCall;
      if (typeof c.seq !== 'number' || typeof c.rpc !== 'string' || typeof c.request !== 'object') {
        throw new Error(`recording line ${i + 1}: not a recorded call: ${line.slice(0, 80)}`);
      }
      if (!findMethod(c.rpc)) throw new Error(`recording line ${i + 1}: unknown RPC ${c.rpc}`);
      return c;
    });
}

export function loadRecording(file: string): RecordedCall[] {
  return parseRecording(readFileSync(file, 'utf8'));
}

/** A copy of `value` with every placeholder (e.g. "<container-id>") replaced inside every string. */
export function substitute<T>(value: T, placeholders: Readonly<Record<string, string>>): T {
  const replace = (v: unknown): unknown => {
    if (typeof v === 'string') {
      let s = v;
      for (const [from, to] of Object.entries(placeholders)) s = s.split(from).join(to);
      return s;
    }
    if (Array.isArray(v)) return v.map(replace);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replace(x)]));
    }
    return v;
  };
  return replace(value) as T;
}

function method(rpc: string): MethodCodec {
  const m = findMethod(rpc);
  if (!m) throw new Error(`unknown RPC ${rpc}`);
  return m;
}

/** Sends one request and turns the reply or the status into an Answer. */
export async function call(
  client: AgentClient,
  rpc: string,
  request: unknown,
  timeoutMs?: number,
): Promise<Answer> {
  const m = method(rpc);
  const bytes = m.request.encode(request as never).finish();
  try {
    const reply = await client.callRaw(
      m.path,
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      timeoutMs ? { timeoutMs } : {},
    );
    return { code: 'OK', message: '', response: m.response.decode(reply) };
  } catch (err) {
    if (err instanceof RpcError) return { code: codeName(err.code), message: err.details };
    throw err;
  }
}

const isEnd = (a: Answer): boolean => a.code !== 'OK';
const isEof = (a: Answer | undefined): boolean => a?.code === codeName(Code.UNKNOWN) && a.message === 'EOF';

interface StreamState {
  outcome: StreamOutcome;
  chunks: Buffer[];
  /** The recorded reads, in order, as they come up in the sequence. */
  recorded: CallOutcome[];
  loop: Promise<void>;
}

export class RuntimeReplay {
  readonly outcomes: CallOutcome[] = [];
  private readonly streams = new Map<string, StreamState>();
  private readonly running: Promise<void>[] = [];
  private answered = 0;

  constructor(
    private readonly client: AgentClient,
    private readonly placeholders: Readonly<Record<string, string>>,
    /** Per control call; stream reads and calls left running have none. */
    private readonly timeoutMs: number,
  ) {}

  /** Sends `calls` in order; control calls wait for their answer before the next one goes. */
  async run(calls: readonly RecordedCall[]): Promise<void> {
    for (const c of calls) {
      const request = method(c.rpc).request.fromJSON(substitute(c.request, this.placeholders));
      const outcome: CallOutcome = { call: c, request };
      this.outcomes.push(outcome);
      if (STREAM_READS.has(c.rpc)) this.read(outcome);
      else if (LEFT_RUNNING.has(c.rpc)) {
        const done = call(this.client, c.rpc, request).then(
          (a) => void Object.assign(outcome, { answer: a, answeredAfter: this.answered }),
          // The connection closing at the end is not an answer.
          () => undefined,
        );
        this.running.push(done);
      } else {
        outcome.answer = await call(this.client, c.rpc, request, this.timeoutMs);
        this.answered++;
      }
    }
  }

  /** The first recorded read of a stream starts its loop; later ones are matched to the loop's reads. */
  private read(outcome: CallOutcome): void {
    const r = outcome.request as { container_id: string; exec_id: string };
    const key = `${outcome.call.rpc} ${r.container_id} ${r.exec_id}`;
    const known = this.streams.get(key);
    if (known) {
      known.recorded.push(outcome);
      known.outcome.recordedReads++;
      if (known.outcome.end) outcome.skipped = `the stream ended after ${known.outcome.reads} reads`;
      return;
    }
    const state: StreamState = {
      outcome: { key, reads: 0, recordedReads: 1, data: Buffer.alloc(0) },
      chunks: [],
      recorded: [outcome],
      loop: Promise.resolve(),
    };
    state.loop = this.readLoop(state, outcome.call.rpc, outcome.request);
    this.streams.set(key, state);
  }

  private async readLoop(state: StreamState, rpc: string, request: unknown): Promise<void> {
    for (;;) {
      const answer = await call(this.client, rpc, request);
      const recorded = state.recorded[state.outcome.reads];
      state.outcome.reads++;
      if (recorded) recorded.answer = answer;
      if (isEnd(answer)) {
        state.outcome.end = answer;
        state.outcome.data = Buffer.concat(state.chunks);
        for (const later of state.recorded.slice(state.outcome.reads)) {
          later.skipped = `the stream ended after ${state.outcome.reads} reads`;
        }
        return;
      }
      const data = (answer.response as { data?: Uint8Array }).data ?? new Uint8Array();
      state.chunks.push(Buffer.from(data));
      state.outcome.data = Buffer.concat(state.chunks);
    }
  }

  /** A stream's state so far (its loop may still run). */
  stream(rpc: 'ReadStdout' | 'ReadStderr', containerId: string, execId: string): StreamOutcome | undefined {
    return this.streams.get(`${rpc} ${containerId} ${execId}`)?.outcome;
  }

  /** Waits for every stream to end (the runtime's readers stop at EOF), up to `timeoutMs`. */
  async drain(timeoutMs: number): Promise<StreamOutcome[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all([...this.streams.values()].map((s) => s.loop)), timeout]);
    clearTimeout(timer);
    return [...this.streams.values()].map((s) => s.outcome);
  }

  /** The outcome of the recorded call `seq`. */
  outcome(seq: number): CallOutcome {
    const o = this.outcomes.find((x) => x.call.seq === seq);
    if (!o) throw new Error(`call ${seq} was not replayed`);
    return o;
  }
}

/**
 * Where a replayed answer differs from what the runtime got and accepted. A
 * stream read is judged by its stream's end, a call left running by not having
 * answered while the sandbox lived. Two races the recording documents are
 * allowed either way: CloseStdin after its process was waited for, and a second
 * WaitProcess for a process already waited for (the runtime ignores both).
 */
export function differences(replay: RuntimeReplay, streams: readonly StreamOutcome[]): string[] {
  const out: string[] = [];
  const waited = new Set<string>();
  // Control calls answered up to and including DestroySandbox: the sandbox's life.
  const control = replay.outcomes.filter(
    (o) => !STREAM_READS.has(o.call.rpc) && !LEFT_RUNNING.has(o.call.rpc),
  );
  const destroy = control.findIndex((o) => o.call.rpc === 'DestroySandbox');
  const destroyedAt = destroy < 0 ? Infinity : destroy + 1;
  for (const o of replay.outcomes) {
    const { call: c, answer } = o;
    const label = `#${c.seq} ${c.rpc}`;
    if (STREAM_READS.has(c.rpc)) continue;
    if (LEFT_RUNNING.has(c.rpc)) {
      if (answer && (o.answeredAfter ?? 0) < destroyedAt) out.push(`${label} answered ${answer.code}`);
      continue;
    }
    if (!answer) {
      out.push(`${label}: no answer`);
      continue;
    }
    const ids = JSON.stringify([
      (o.request as { container_id?: string }).container_id,
      (o.request as { exec_id?: string }).exec_id,
    ]);
    let accepted = [c.code];
    if (c.rpc === 'CloseStdin') accepted = ['OK', 'NOT_FOUND'];
    if (c.rpc === 'WaitProcess') {
      if (waited.has(ids)) accepted = ['OK', 'NOT_FOUND'];
      waited.add(ids);
    }
    if (!accepted.includes(answer.code)) {
      out.push(
        `${label}: ${answer.code} ${answer.message} (the runtime got ${c.code}${c.error ? ` ${c.error}` : ''})`,
      );
    }
  }
  for (const s of streams) {
    if (!isEof(s.end))
      out.push(`${s.key}: ended with ${s.end ? `${s.end.code} ${s.end.message}` : 'nothing yet'}`);
  }
  return out;
}
