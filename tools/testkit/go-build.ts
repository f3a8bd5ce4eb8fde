// Go test fixtures (test/fixtures/NAME/main.go), built offline in GOPATH mode
// against Debian's golang-* packages once per source version and cached in the
// temp directory: nothing is fetched, so a missing package fails the build.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures');
const GOPATH = '/usr/share/gocode';

/** The path of the built fixture `name`, building it first when its source changed. */
export function goFixtureBinary(name: string): string {
  const source = path.join(FIXTURES, name, 'main.go');
  const digest = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), `kata-agent-${name}`);
  const binary = path.join(dir, `${name}-${digest}`);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const partial = `${binary}.${process.pid}`;
  execFileSync('go', ['build', '-o', partial, source], {
    cwd: dir,
    env: {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH,
      GOFLAGS: '',
      GOCACHE: path.join(dir, 'gocache'),
      GOPROXY: 'off',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  renameSync(partial, binary);
  // Builds of older versions of the source are of no further use.
  for (const old of readdirSync(dir)) {
    if (old.startsWith(`${name}-`) && path.join(dir, old) !== binary)
      rmSync(path.join(dir, old), { force: true });
  }
  return binary;
}
