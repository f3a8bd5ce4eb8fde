// Benchmarks and soaks run containers: like the tests, they run in a private
// mount, UTS and IPC namespace with the cgroup2 mount hidden (crun refuses the
// hybrid layout), so that nothing they mount or name outlives them.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

// dist/bench/lib → the repository's scripts/.
const HIDE_CGROUP2 = path.resolve(__dirname, '..', '..', '..', 'scripts', 'hide-cgroup2.sh');

const MARK = 'KATA_AGENT_BENCH_NAMESPACE';

const INNER = `
source "$KATA_AGENT_HIDE_CGROUP2"
exec "$@"
`;

/**
 * Re-runs this process inside the namespace unless it already is there;
 * returns the exit code to leave with, or undefined when already inside.
 */
function reexecInNamespace(): number | undefined {
  if (process.env[MARK] === '1') return undefined;
  const result = spawnSync(
    'unshare',
    [
      '--mount',
      '--uts',
      '--ipc',
      '--propagation',
      'private',
      '--',
      'bash',
      '-c',
      INNER,
      'inner',
      process.execPath,
      ...process.execArgv,
      ...process.argv.slice(1),
    ],
    { stdio: 'inherit', env: { ...process.env, [MARK]: '1', KATA_AGENT_HIDE_CGROUP2: HIDE_CGROUP2 } },
  );
  if (result.error) throw result.error;
  return result.status ?? 1;
}

/** A command's entry: inside the namespace, runs `main` and exits with its code (1 on a throw). */
export function runInNamespace(main: () => Promise<number>): void {
  const code = reexecInNamespace();
  if (code !== undefined) process.exit(code);
  main().then(
    (c) => process.exit(c),
    (err: Error) => {
      console.error(err.stack ?? err.message);
      process.exit(1);
    },
  );
}
