import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCmdline } from '../../src/config/cmdline';
import { defaultConfig, type AgentConfig } from '../../src/config/options';
import { parseGoBool, parseGoDuration } from '../../src/config/go-parse';

function parse(cmdline: string): { config: AgentConfig; warnings: string[] } {
  return applyCmdline(cmdline, defaultConfig());
}

// [command line, expected changes from the defaults, number of warnings]
const CASES: [string, Partial<AgentConfig>, number][] = [
  ['', {}, 0],
  ['console=ttyS0 quiet root=/dev/vda agent.', {}, 0],
  ['agent.log=debug', { logLevel: 'debug', debug: true }, 0],
  ['agent.log=WARNING', { logLevel: 'warn' }, 0],
  ['agent.log=warn', { logLevel: 'warn' }, 0],
  ['agent.log=panic', { logLevel: 'fatal' }, 0],
  ['agent.log=Trace', { logLevel: 'trace', debug: true }, 0],
  ['agent.log=loud', {}, 1],
  ['agent.log_vport=1025', { logVport: 1025 }, 0],
  ['agent.log_vport=-1', {}, 1],
  ['agent.log_vport=4294967296', {}, 1],
  ['agent.devmode', { devMode: true, debug: true }, 0],
  ['agent.Devmode agent.devmode.', {}, 0],
  ['agent.debug_console', { debugConsole: true }, 0],
  ['agent.debug_console_vport=1026', { debugConsole: true, debugConsoleVport: 1026 }, 0],
  ['agent.debug_console_vport=0', { debugConsole: true, debugConsoleVport: 0 }, 0],
  ['agent.debug_console_vport=', {}, 1],
  ['agent.debug_console_vport=abc', {}, 1],
  ['agent.hotplug_timeout=10s', { hotplugTimeoutMs: 10_000 }, 0],
  ['agent.hotplug_timeout=1m30s', { hotplugTimeoutMs: 90_000 }, 0],
  ['agent.hotplug_timeout=500ms', { hotplugTimeoutMs: 500 }, 0],
  ['agent.hotplug_timeout=1h2m3.5s', { hotplugTimeoutMs: 3_723_500 }, 0],
  ['agent.hotplug_timeout=.5s', { hotplugTimeoutMs: 500 }, 0],
  ['agent.hotplug_timeout=2us', { hotplugTimeoutMs: 0.002 }, 0],
  ['agent.hotplug_timeout=2µs', { hotplugTimeoutMs: 0.002 }, 0],
  ['agent.hotplug_timeout=0', {}, 1],
  ['agent.hotplug_timeout=0s', {}, 1],
  ['agent.hotplug_timeout=-10s', {}, 1],
  ['agent.hotplug_timeout=5', {}, 1],
  ['agent.hotplug_timeout=5.0', {}, 1],
  ['agent.hotplug_timeout=foobar', {}, 1],
  ['agent.unified_cgroup_hierarchy=1', { unifiedCgroupHierarchy: true }, 0],
  ['agent.unified_cgroup_hierarchy=True', { unifiedCgroupHierarchy: true }, 0],
  ['agent.unified_cgroup_hierarchy=t', { unifiedCgroupHierarchy: true }, 0],
  ['agent.unified_cgroup_hierarchy=FALSE', {}, 0],
  ['agent.unified_cgroup_hierarchy=yes', {}, 1],
  ['agent.unified_cgroup_hierarchy=tRUE', {}, 1],
  ['agent.unified_cgroup_hierarchy', {}, 0],
  ['agent.container_pipe_size=1048576', { containerPipeSize: 1048576 }, 0],
  ['agent.container_pipe_size=-1', {}, 1],
  ['agent.container_pipe_size=1.5', {}, 1],
  ['agent.trace', { trace: 'isolated', debug: true }, 0],
  ['agent.trace=collated', { trace: 'collated', debug: true }, 0],
  ['agent.trace=isolated', { trace: 'isolated', debug: true }, 0],
  ['agent.trace=other', {}, 0],
  ['agent.use_vsock=true', { useVsock: true }, 0],
  ['agent.use_vsock=0', { useVsock: false }, 0],
  ['agent.use_vsock=maybe', {}, 1],
  ['agent.nonsense=1', {}, 1],
  ['agent.log=debug=extra', { logLevel: 'debug', debug: true }, 0],
  [
    'console=hvc0 agent.log=info agent.hotplug_timeout=bad agent.log_vport=1025 agent.devmode',
    { logVport: 1025, devMode: true, debug: true },
    1,
  ],
];

for (const [cmdline, changes, warnings] of CASES) {
  test(`cmdline ${JSON.stringify(cmdline)}`, () => {
    const result = parse(cmdline);
    assert.deepEqual(result.config, { ...defaultConfig(), ...changes });
    assert.equal(result.warnings.length, warnings, result.warnings.join('; '));
  });
}

test('Go bool words are exactly strconv.ParseBool', () => {
  for (const w of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(parseGoBool(w), true, w);
  for (const w of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(parseGoBool(w), false, w);
  for (const w of ['', 'yes', 'tRue', ' true', '2']) assert.equal(parseGoBool(w), undefined, w);
});

test('Go durations', () => {
  assert.equal(parseGoDuration('1h'), 3_600_000);
  assert.equal(parseGoDuration('-1.5m'), -90_000);
  assert.equal(parseGoDuration('100ns'), 0.0001);
  assert.equal(parseGoDuration('1s500ms'), 1500);
  assert.equal(parseGoDuration(''), undefined);
  assert.equal(parseGoDuration('s'), undefined);
  assert.equal(parseGoDuration('1x'), undefined);
  assert.equal(parseGoDuration('.s'), undefined);
});
