// The unary floor of the benchmarks: the least a grpc-js server can do for
// grpc.Health/Check on a unix socket. Started by bench/lib/processes.ts.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthService } from '../src/generated/health';

const socket = process.argv[2];
if (!socket) {
  process.stderr.write('usage: floor-server.js SOCKET\n');
  process.exit(2);
}
const server = new Server();
server.addService(HealthService, {
  check: (_call: unknown, done: (err: null, value: { status: number }) => void) => done(null, { status: 1 }),
  version: (_call: unknown, done: (err: null, value: object) => void) => done(null, {}),
});
server.bindAsync(`unix://${socket}`, ServerCredentials.createInsecure(), (err) => {
  if (err) {
    process.stderr.write(`floor server: ${err.message}\n`);
    process.exit(1);
  }
});
process.on('SIGTERM', () => server.forceShutdown());
