// The guest artifact: the agent (and the VM plumbing probe) bundled with their
// production dependencies into one JavaScript file each, with the native addon
// beside them, in dist/guest/. The image ships this directory and nothing
// else; `node dist/src/cli/agent.js` stays the development entry.
//
// Modules the agent loads only when an option asks for them (the OTLP
// exporter, the metrics server) stay lazy: esbuild wraps every module in an
// initialiser that runs on its first require, so their code is parsed but
// never run unless needed.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(repo, 'dist', 'guest');
const addon = path.join(repo, 'build', 'Release', 'agent_native.node');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const common = {
  outdir: out,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Keep function and class names: log lines and stack traces name them.
  keepNames: true,
  minifyWhitespace: true,
  minifySyntax: true,
  // Local names only: keepNames keeps what stack traces and log lines show.
  minifyIdentifiers: true,
  legalComments: 'none',
  logLevel: 'warning',
};
// The VM tests' own guest-side programs, in a folder of their own: the image does
// not carry them, the tests bring them in through the VM's share.
const vmTest = path.join(repo, 'dist', 'vm-test');
rmSync(vmTest, { recursive: true, force: true });
await build({
  ...common,
  outdir: vmTest,
  entryPoints: {
    // The plumbing probe (kata_vm_mode=probe).
    'guest-probe': path.join(repo, 'dist/src/host/guest-probe.js'),
    // The client, for the in-guest vsock check of the VM end-to-end.
    'kata-agent-ctl': path.join(repo, 'dist/src/cli/ctl.js'),
  },
});
// The agent as one self-contained function: `node --build-snapshot` runs it
// without the `exports` object a CommonJS entry would write to.
const agentBuild = await build({
  ...common,
  entryPoints: { 'kata-agent': path.join(repo, 'dist/src/cli/agent.js') },
  format: 'iife',
  metafile: true,
});
// The guest build holds guest code only: host tooling, the client, tests and
// benchmarks reaching the agent's bundle fail the build (and so every test run).
const HOST_TREES = [
  'dist/src/host/',
  'dist/src/client/',
  'dist/src/tools/',
  'dist/test/',
  'dist/bench/',
  'dist/tools/',
];
const hostInputs = Object.keys(agentBuild.metafile.inputs).filter((f) =>
  HOST_TREES.some((t) => f.startsWith(t)),
);
if (hostInputs.length > 0) {
  throw new Error(`the guest agent's bundle imports host code: ${hostInputs.join(', ')}`);
}
if (existsSync(addon)) copyFileSync(addon, path.join(out, 'agent_native.node'));
// Run directly, the bundle asks node for the agent's V8 flags (src/config/node-flags.ts).
const { AGENT_NODE_FLAGS } = await import(path.join(repo, 'dist/src/config/node-flags.js'));
const agent = path.join(out, 'kata-agent.js');
const code = readFileSync(agent, 'utf8').replace(/^#!.*\n/, '');
writeFileSync(agent, `#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}\n${code}`, { mode: 0o755 });

// The image starts the agent from a V8 start-up snapshot of this same file:
// node deserializes the loaded modules instead of compiling and running them.
// It must be built by the node the image ships and with the flags it runs
// with (node refuses a blob built otherwise). src/cli/agent.ts says how the
// file behaves while the snapshot is built.
execFileSync(
  process.execPath,
  [
    ...AGENT_NODE_FLAGS,
    '--no-warnings',
    '--snapshot-blob',
    path.join(out, 'kata-agent.blob'),
    '--build-snapshot',
    agent,
  ],
  { cwd: out, stdio: ['ignore', 'ignore', 'inherit'] },
);
