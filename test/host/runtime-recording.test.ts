// The recording of a real Kata 1.12 runtime's requests, as the VM end-to-end
// replays it: every line parses, every request survives our codecs with no
// field lost, and the ids and the network the replay derives from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { findMethod } from '../../src/client/methods';
import { repoRoot } from '../../src/host/paths';
import { FLOW_IDS, networkOf, placeholders } from '../../src/host/runtime-flow';
import { loadRecording, parseRecording, substitute } from '../../src/host/runtime-replay';

const RECORDING = path.join(repoRoot(), 'test', 'fixtures', 'kata-1.12-runtime-calls.jsonl');

/** Paths of the keys of `json` whose value is missing from `message` (fields our codec dropped). */
function dropped(json: unknown, message: unknown, at = ''): string[] {
  if (!json || typeof json !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(json)) {
    const m = (message as Record<string, unknown> | undefined)?.[k];
    if (m === undefined) out.push(`${at}.${k}`);
    else if (typeof v === 'object') out.push(...dropped(v, m, `${at}.${k}`));
  }
  return out;
}

test('the recording: 74 calls in order, every request re-encoded without losing a field', () => {
  const calls = loadRecording(RECORDING);
  assert.equal(calls.length, 74);
  assert.deepEqual(
    calls.map((c) => c.seq),
    calls.map((_, i) => i + 1),
  );
  for (const c of calls) {
    const m = findMethod(c.rpc);
    assert.ok(m, c.rpc);
    const request = m.request.fromJSON(c.request);
    const again = m.request.decode(m.request.encode(request as never).finish());
    assert.deepEqual(again, request, `#${c.seq} ${c.rpc}`);
    assert.deepEqual(dropped(c.request, again), [], `#${c.seq} ${c.rpc}`);
  }
});

test('substitution leaves no placeholder and changes nothing else', () => {
  const calls = loadRecording(RECORDING);
  const subs = placeholders(FLOW_IDS);
  const text = JSON.stringify(calls.map((c) => substitute(c.request, subs)));
  assert.doesNotMatch(text, /<[a-z0-9-]+-id(-\d)?>/);
  const create = calls.find((c) => c.rpc === 'CreateContainer');
  const spec = substitute(create?.request, subs) as {
    OCI: { Root: { Path: string }; Linux: { CgroupsPath: string } };
  };
  assert.equal(spec.OCI.Root.Path, `/run/kata-containers/shared/containers/${FLOW_IDS.container}/rootfs`);
  assert.equal(spec.OCI.Linux.CgroupsPath, `/default/${FLOW_IDS.container}`);
  assert.deepEqual(substitute({ n: 5, b: true, s: ['a<x>b'] }, { '<x>': 'y' }), {
    n: 5,
    b: true,
    s: ['ayb'],
  });
});

test("the VM's network comes from the recorded UpdateInterface and default route", () => {
  assert.deepEqual(networkOf(loadRecording(RECORDING)), {
    tap: 'tap0',
    hostAddress: '10.199.7.1/24',
    guestMac: '02:00:00:a7:00:02',
  });
  assert.throws(() => networkOf([]), /no UpdateInterface/);
});

test('a line that is not a recorded call, or names an unknown RPC, is refused', () => {
  assert.throws(() => parseRecording('{"seq": 1}\n'), /line 1: not a recorded call/);
  assert.throws(
    () => parseRecording('{"seq": 1, "rpc": "Nope", "request": {}, "code": "OK"}\n'),
    /line 1: unknown RPC Nope/,
  );
});
