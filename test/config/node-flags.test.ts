import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
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
