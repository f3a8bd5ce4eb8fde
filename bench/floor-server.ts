// The unary floor of the benchmarks: the least a grpc-js server can do for
// grpc.Health/Check on a unix socket, either with one HTTP/2 connection per
// socket connection or, with --yamux, one per yamux stream (the transport of
// the virtio-serial channel). Started by bench/lib/processes.ts.
import net from 'node:net';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthDefinition } from '../src/generated/health';
import { grpcJsService } from '../tools/testkit/grpc-js-service';
import { Session } from '../src/transport/yamux';

const [socket, mode] = process.argv.slice(2);
if (!socket) {
  process.stderr.write('usage: floor-server.js SOCKET [--yamux]\n');
  process.exit(2);
}
const server = new Server();
server.addService(grpcJsService(HealthDefinition), {
  check: (_call: unknown, done: (err: null, value: { status: number }) => void) => done(null, { status: 1 }),
  version: (_call: unknown, done: (err: null, value: object) => void) => done(null, {}),
});
if (mode === '--yamux') {
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const listener = net.createServer((conn) => {
    const session = new Session(conn, { role: 'server' });
    session.on('stream', (stream) => injector.injectConnection(stream));
  });
  listener.listen(socket);
  process.on('SIGTERM', () => {
    listener.close();
    server.forceShutdown();
    process.exit(0);
  });
} else {
  server.bindAsync(`unix://${socket}`, ServerCredentials.createInsecure(), (err) => {
    if (err) {
      process.stderr.write(`floor server: ${err.message}\n`);
      process.exit(1);
    }
  });
  process.on('SIGTERM', () => server.forceShutdown());
}
