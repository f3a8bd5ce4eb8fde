import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AGENT_NODE_FLAGS, missingNodeFlags } from '../../src/config/node-flags';

test("the agent's V8 flags: found on the command line or in NODE_OPTIONS, else reported missing", () => {
  assert.deepEqual(missingNodeFlags([], ''), [...AGENT_NODE_FLAGS]);
  assert.deepEqual(missingNodeFlags([...AGENT_NODE_FLAGS], ''), []);
  assert.deepEqual(missingNodeFlags(['--inspect'], `--trace-warnings ${AGENT_NODE_FLAGS.join(' ')}`), []);
});

test('the bundled agent, run as a program, gets them from its first line', () => {
  const bundle = path.join(__dirname, '..', '..', 'guest', 'kata-agent.js');
  const probe = execFileSync(bundle, ['--version'], { encoding: 'utf8' });
  assert.match(probe, /^kata-agent version /);
  const firstLine = execFileSync('head', ['-n1', bundle], { encoding: 'utf8' });
  assert.equal(firstLine.trim(), `#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}`);
});

test("the image's start-up snapshot is the same agent, and node refuses it under other flags", () => {
  const dir = path.join(__dirname, '..', '..', 'guest');
  const blob = path.join(dir, 'kata-agent.blob');
  const bundle = path.join(dir, 'kata-agent.js');
  const run = (flags: readonly string[]) =>
    spawnSync(process.execPath, [...flags, '--snapshot-blob', blob, bundle, '--version'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
  const fromSnapshot = run(AGENT_NODE_FLAGS);
  assert.equal(fromSnapshot.status, 0, fromSnapshot.stderr);
  assert.equal(fromSnapshot.stdout, execFileSync(bundle, ['--version'], { encoding: 'utf8' }));
  // Why /init passes exactly the image's flags: anything else ends node at once, with a message.
  const otherFlags = run([]);
  assert.notEqual(otherFlags.status, 0);
  assert.equal(otherFlags.signal, null);
  assert.match(otherFlags.stderr, /startup snapshot/i);
});

test('the bundled agent is ASCII: one character past Latin-1 makes V8 keep all its source two bytes wide', () => {
  const bundle = readFileSync(path.join(__dirname, '..', '..', 'guest', 'kata-agent.js'));
  const at = bundle.findIndex((b) => b > 0x7f);
  assert.equal(
    at,
    -1,
    `non-ASCII byte near ${JSON.stringify(bundle.subarray(Math.max(0, at - 40), at + 8).toString())}`,
  );
});
