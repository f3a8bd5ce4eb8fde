// The protocol fuzzer's engine: an endless, seeded stream of requests for
// every RPC (random bytes, mutated valid encodings, valid messages with hostile
// values), sent by concurrent workers that now and then drop their connection
// mid-call. It records what came back; the caller judges.
import fc from 'fast-check';
import { Code as Status } from '../../src/common/status';
import type { AgentClient } from '../../src/client/agent-client';
import { RpcError } from '../../src/client/grpc-unary';
import { METHODS, type MethodCodec } from '../../src/client/methods';
import { encodePartial, messageArbitraries } from './arbitraries';
import { mutatedArb, randomBytesArb } from './mutate';
import { repoProtoSchema } from './proto-schema';

type CaseKind = 'random' | 'mutated' | 'valid';

interface FuzzCase {
  method: MethodCodec;
  kind: CaseKind;
  bytes: Buffer;
}

export interface Finding {
  method: string;
  kind: CaseKind;
  /** The request, hex: replay it with AgentClient.callRaw. */
  request: string;
  outcome: string;
}

export interface FuzzReport {
  seed: number;
  calls: number;
  /** Calls cut short by the fuzzer's own disconnects (not judged). */
  dropped: number;
  /** "Method code" → count. */
  outcomes: Map<string, number>;
  /** The connection broke or the agent vanished (UNAVAILABLE not caused by us). */
  unavailable: Finding[];
  /** A status whose message is a JavaScript fault (TypeError text and the like): a handler missed a check. */
  faults: Finding[];
  /** OK with a response that does not decode. */
  badResponses: Finding[];
}

interface FuzzOptions {
  seed: number;
  budgetMs: number;
  concurrency: number;
  /** Calls that block (WaitProcess, ReadStdout, GetOOMEvent) end with DEADLINE_EXCEEDED after this. */
  callTimeoutMs: number;
  /** Per worker: one call in this many is cut by dropping the connection. */
  dropEvery: number;
  methods?: readonly MethodCodec[];
}

// Texts of JavaScript runtime errors and Node argument checks: seeing one as a
// status means a handler passed unchecked input along.
export const FAULT_TEXT =
  /Cannot (read|set) properties of|is not a function|is not iterable|is not defined|Maximum call stack|Invalid (array|string) length|The "[^"]+" argument|The value of "[^"]+" is out of range|null bytes|Unexpected token|Invalid time value/;

const BATCH = 8;

/** An endless round-robin over the methods, each turn a seeded batch of cases. */
function caseStream(seed: number, methods: readonly MethodCodec[] = METHODS): () => FuzzCase {
  const schema = repoProtoSchema();
  const arbs = messageArbitraries(schema);
  const perMethod = methods.map((method) => {
    const typeName = schema.requestTypes.get(method.path);
    if (!typeName) throw new Error(`no request type for ${method.path} in proto/`);
    const valid = arbs.message(typeName).map((partial) => encodePartial(method.request, partial));
    return fc.oneof(
      { arbitrary: randomBytesArb.map((bytes) => ({ kind: 'random' as const, bytes })), weight: 1 },
      { arbitrary: valid.chain(mutatedArb).map((bytes) => ({ kind: 'mutated' as const, bytes })), weight: 2 },
      { arbitrary: valid.map((bytes) => ({ kind: 'valid' as const, bytes })), weight: 3 },
    );
  });
  let turn = 0;
  let queue: FuzzCase[] = [];
  return () => {
    while (queue.length === 0) {
      const index = turn % methods.length;
      const samples = fc.sample(perMethod[index], { seed: (seed + turn * 7919) | 0, numRuns: BATCH });
      queue = samples.map((s) => ({ method: methods[index], ...s }));
      turn++;
    }
    return queue.shift()!;
  };
}

function finding(c: FuzzCase, outcome: string): Finding {
  const hex =
    c.bytes.length > 2048
      ? `${c.bytes.subarray(0, 2048).toString('hex')}...(${c.bytes.length} bytes)`
      : c.bytes.toString('hex');
  return { method: c.method.name, kind: c.kind, request: hex, outcome };
}

/** `connect(worker)` gives worker number `worker` a client on a new connection. */
export async function runFuzz(
  connect: (worker: number) => Promise<AgentClient>,
  options: FuzzOptions,
): Promise<FuzzReport> {
  const next = caseStream(options.seed, options.methods);
  const report: FuzzReport = {
    seed: options.seed,
    calls: 0,
    dropped: 0,
    outcomes: new Map(),
    unavailable: [],
    faults: [],
    badResponses: [],
  };
  const count = (key: string): void => {
    report.outcomes.set(key, (report.outcomes.get(key) ?? 0) + 1);
  };
  const deadline = Date.now() + options.budgetMs;

  // A refused connection means the agent is gone: record it and stop this worker.
  let lost: string | undefined;
  const reconnect = async (worker: number, c: FuzzCase | undefined): Promise<AgentClient | undefined> => {
    try {
      return await connect(worker);
    } catch (err) {
      lost ??= (err as Error).message;
      if (c) report.unavailable.push(finding(c, `agent unreachable after this call: ${lost}`));
      return undefined;
    }
  };

  const worker = async (workerIndex: number): Promise<void> => {
    let client = await reconnect(workerIndex, undefined);
    for (let i = 1; client && !lost && Date.now() < deadline; i++) {
      const c = next();
      const call = client.callRaw(c.method.path, c.bytes, { timeoutMs: options.callTimeoutMs });
      report.calls++;
      if ((i + workerIndex) % options.dropEvery === 0) {
        // Leave mid-call: the agent must cancel whatever the call holds.
        const leaving = client;
        setImmediate(() => leaving.destroy());
        await call.catch(() => undefined);
        report.dropped++;
        client = await reconnect(workerIndex, c);
        continue;
      }
      try {
        const response = await call;
        count(`${c.method.name} OK`);
        try {
          c.method.response.decode(response);
        } catch (err) {
          report.badResponses.push(finding(c, `response does not decode: ${(err as Error).message}`));
        }
      } catch (err) {
        if (!(err instanceof RpcError)) throw err;
        count(`${c.method.name} ${Status[err.code] ?? err.code}`);
        if (err.code === Status.UNAVAILABLE) {
          report.unavailable.push(finding(c, err.message));
          client.destroy();
          client = await reconnect(workerIndex, c);
        } else if (FAULT_TEXT.test(err.details)) {
          report.faults.push(finding(c, err.message));
        }
      }
    }
    client?.destroy();
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => worker(i)));
  if (lost && report.unavailable.length === 0)
    report.unavailable.push({ method: '', kind: 'random', request: '', outcome: lost });
  return report;
}

/** "Method: CODE n, CODE n" lines, for a test's diagnostics. */
export function summarizeOutcomes(report: FuzzReport): string[] {
  const byMethod = new Map<string, string[]>();
  for (const [key, n] of [...report.outcomes].sort()) {
    const [method, code] = key.split(' ');
    byMethod.set(method, [...(byMethod.get(method) ?? []), `${code} ${n}`]);
  }
  return [...byMethod].map(([method, codes]) => `${method}: ${codes.join(', ')}`);
}
