#!/usr/bin/env node
// kata-agent-ctl: call any RPC of a running agent with a JSON request.
//   kata-agent-ctl --addr unix:///run/kata-agent.sock check
//   kata-agent-ctl --addr vsock://3:1024 CreateSandbox '{"sandbox_id":"s1"}'
//   kata-agent-ctl --addr ... ReadStdout @request.json
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Code } from '../common/status';
import { dialer, parseAddress } from '../client/dial';
import { METHODS, findMethod } from '../client/methods';
import { RpcError, UnaryChannel } from '../client/grpc-unary';
import '../transport/yamux-dialer';

const USAGE = `usage: kata-agent-ctl --addr ADDRESS [health] RPC [JSON | @FILE]
       kata-agent-ctl --addr METRICS_ADDRESS metrics
  ADDRESS: unix:///path | vsock://CID:PORT | hvsock:///uds/path:PORT | yamux+unix:///path
  RPC:     ${METHODS.map((m) => m.name).join(', ')}
  metrics: print the Prometheus text of the metrics endpoint (agent.metrics_vport)
  --timeout MS   give up after MS milliseconds`;

function requestJson(arg: string | undefined): unknown {
  if (arg === undefined) return {};
  const text = arg.startsWith('@') ? readFileSync(arg.slice(1), 'utf8') : arg;
  return JSON.parse(text);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { addr: { type: 'string' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help || !values.addr || positionals.length === 0) {
    process.stderr.write(USAGE + '\n');
    return values.help ? 0 : 2;
  }
  // "health check" / "health version" read like the 1.x tooling; plain "check" works too.
  if (positionals[0] === 'health' && positionals.length > 1) positionals.shift();
  if (positionals[0] === 'metrics') {
    const { fetchMetrics } = await import('../metrics/fetch');
    const connection = await dialer(parseAddress(values.addr))();
    process.stdout.write(await fetchMetrics(connection, values.timeout ? Number(values.timeout) : undefined));
    return 0;
  }
  const method = findMethod(positionals[0]);
  if (!method) {
    process.stderr.write(`unknown RPC ${JSON.stringify(positionals[0])}\n${USAGE}\n`);
    return 2;
  }
  const request = method.request.fromJSON(requestJson(positionals[1]));
  const connection = await dialer(parseAddress(values.addr))();
  const channel = new UnaryChannel(connection);
  try {
    const bytes = await channel.call(
      method.path,
      Buffer.from(method.request.encode(request as never).finish()),
      values.timeout ? { timeoutMs: Number(values.timeout) } : {},
    );
    const response = method.response.decode(bytes);
    process.stdout.write(JSON.stringify(method.response.toJSON(response as never), null, 2) + '\n');
    return 0;
  } catch (err) {
    if (err instanceof RpcError) {
      process.stderr.write(`${Code[err.code]}: ${err.details}\n`);
      return 1;
    }
    throw err;
  } finally {
    channel.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`kata-agent-ctl: ${err.message}\n`);
    process.exit(1);
  },
);
