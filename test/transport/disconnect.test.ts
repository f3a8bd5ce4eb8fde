// A client that vanishes in the middle of a call: the call is cancelled on the
// agent's side (so a read that was waiting consumes nothing), the connection's
// resources go, and a new client reads on with no byte lost. The output here is
// a stand-in with the same contract as a container's stdout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AgentServer } from '../../src/rpc/server';
import { healthHandlers } from '../../src/rpc/handlers/health';
import type { CallContext } from '../../src/rpc/types';
import { createLogger } from '../../src/logging/logger';
import { AgentClient } from '../../src/client/agent-client';
import { connectUnix } from '../../src/client/dial';
import { openChannel } from '../../src/transport/channels';
import { SerialChannel } from '../../src/transport/serial';
import { Session } from '../../src/transport/yamux';
import { endOfStream } from '../../src/common/errors';
import { waitFor } from '../helpers/wait-for';

/** Bytes waiting for a reader; a read that is cancelled before data comes takes nothing. */
class Output {
  private buffered: Buffer[] = [];
  private closed = false;
  private wake: (() => void)[] = [];
  cancelledReads = 0;
  waitingReads = 0;

  write(data: Buffer): void {
    this.buffered.push(data);
    this.wake.splice(0).forEach((w) => w());
  }

  close(): void {
    this.closed = true;
    this.wake.splice(0).forEach((w) => w());
  }

  async read(len: number, call: CallContext): Promise<Buffer> {
    this.waitingReads++;
    try {
      while (this.buffered.length === 0 && !this.closed) {
        let unsubscribe = (): void => {};
        await new Promise<void>((resolve) => {
          this.wake.push(resolve);
          unsubscribe = call.onCancel(resolve);
        });
        unsubscribe();
        if (call.cancelled()) {
          this.cancelledReads++;
          throw new Error('cancelled');
        }
      }
      if (this.buffered.length === 0) throw endOfStream();
      const all = Buffer.concat(this.buffered);
      this.buffered = all.length > len ? [all.subarray(len)] : [];
      return all.subarray(0, len);
    } finally {
      this.waitingReads--;
    }
  }
}

function agentWith(output: Output): AgentServer {
  return new AgentServer({
    agent: { readStdout: async (req, call) => ({ data: await output.read(req.len, call) }) },
    health: healthHandlers(),
    log: createLogger({ level: 'silent' }).logger,
  });
}

async function readUntilWaiting(
  client: AgentClient,
  output: Output,
  sink: Buffer[],
): Promise<{ pending: Promise<unknown> }> {
  // Drain what is there, then leave one read waiting in the agent.
  for (;;) {
    const pending = client.agent.readStdout({ container_id: 'c', exec_id: '', len: 65536 });
    let answered = false;
    const settle = (): void => void (answered = true);
    pending.then(settle, settle);
    const data = pending.then((r) => r.data);
    // The wait ends with the answer too, so no poll outlives its round.
    const waiting = waitFor(() => answered || output.waitingReads > 0, {
      what: 'a read to wait in the agent',
    });
    const first = await Promise.race([data, waiting.then(() => undefined)]);
    if (first) {
      sink.push(first);
      continue;
    }
    // Wrapped: an async function returning a promise would wait for it.
    return { pending: pending.catch((err: Error) => err) };
  }
}

async function readToEnd(client: AgentClient, sink: Buffer[]): Promise<void> {
  for (;;) {
    try {
      sink.push((await client.agent.readStdout({ container_id: 'c', exec_id: '', len: 65536 })).data);
    } catch (err) {
      if (/EOF/.test((err as Error).message)) return;
      throw err;
    }
  }
}

interface Transport {
  name: string;
  /** A fresh client, and how to make it (its whole connection) vanish without a goodbye. */
  connect(): Promise<{ client: AgentClient; vanish(): void }>;
  close(): Promise<void>;
}

async function unixTransport(server: AgentServer, dir: string, yamux: boolean): Promise<Transport> {
  const socket = path.join(dir, 'agent.sock');
  const log = createLogger({ level: 'silent' }).logger;
  const listener = await openChannel(`unix://${socket}`, {
    target: server,
    log,
    config: { sysRoot: '', useVsock: undefined },
  });
  return {
    name: yamux ? 'yamux over a unix socket' : 'a unix socket',
    async connect() {
      const conn = await connectUnix(socket);
      if (!yamux) return { client: new AgentClient(conn), vanish: () => conn.destroy() };
      const session = new Session(conn, { role: 'client' });
      return { client: new AgentClient(session.openStream()), vanish: () => conn.destroy() };
    },
    close: () => listener.close(),
  };
}

async function serialTransport(server: AgentServer, dir: string): Promise<Transport> {
  // The host side of a serial port: the agent connects, the host speaks yamux.
  const port = path.join(dir, 'port.sock');
  const host = net.createServer();
  host.listen(port);
  await once(host, 'listening');
  const channel = new SerialChannel({
    path: port,
    target: server,
    log: createLogger({ level: 'silent' }).logger,
    retryMs: 5,
  });
  // The channel reconnects within milliseconds of a vanished peer, maybe before
  // the test asks for the next connection: keep them.
  const arrived: net.Socket[] = [];
  host.on('connection', (conn: net.Socket) => arrived.push(conn));
  return {
    name: 'the serial channel',
    async connect() {
      await waitFor(() => arrived.length > 0, { what: 'the serial channel to connect' });
      const conn = arrived.shift()!;
      const session = new Session(conn, { role: 'client' });
      return { client: new AgentClient(session.openStream()), vanish: () => conn.destroy() };
    },
    async close() {
      await channel.close();
      host.close();
    },
  };
}

for (const kind of ['unix', 'yamux', 'serial'] as const) {
  test(`a reader vanishing mid-read over ${kind} loses nothing: the next reader reads on (checksummed)`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'disconnect-'));
    const output = new Output();
    const server = agentWith(output);
    const transport =
      kind === 'serial'
        ? await serialTransport(server, dir)
        : await unixTransport(server, dir, kind === 'yamux');
    try {
      const produced = createHash('sha256');
      const emit = (bytes: number): void => {
        for (let left = bytes; left > 0; left -= 32 * 1024) {
          const piece = randomBytes(Math.min(32 * 1024, left));
          produced.update(piece);
          output.write(piece);
        }
      };
      const received: Buffer[] = [];
      emit(1024 * 1024);
      const first = await transport.connect();
      const { pending } = await readUntilWaiting(first.client, output, received);
      first.vanish();
      await waitFor(() => output.cancelledReads === 1, {
        what: 'the waiting read to be cancelled',
        timeoutMs: 5000,
      });
      assert.match(String(await pending), /UNAVAILABLE|closed|cancel/i);
      await waitFor(() => server.connectionCount === 0, {
        what: 'the connection to be released',
        timeoutMs: 5000,
      });

      emit(3 * 1024 * 1024 + 17);
      output.close();
      const second = await transport.connect();
      await readToEnd(second.client, received);
      second.vanish();
      const got = Buffer.concat(received);
      assert.equal(got.length, 4 * 1024 * 1024 + 17);
      assert.equal(createHash('sha256').update(got).digest('hex'), produced.digest('hex'));
    } finally {
      await transport.close();
      await server.shutdown();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
