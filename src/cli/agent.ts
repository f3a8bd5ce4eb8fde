#!/usr/bin/env node
// kata-agent: the guest agent. In a VM it is started by the initrd (often as
// PID 1) and configured by the kernel command line; flags serve development.
//
// The same file is the source of the image's start-up snapshot
// (`node --build-snapshot`, scripts/bundle.mjs): building it only loads the
// modules, and the agent starts when node deserializes the snapshot. Started
// from the snapshot, node puts the first positional argument where the
// script's path would be, so the options always start at argv[2].
import { startupSnapshot } from 'node:v8';
import { runAgentCli } from './agent-main';
import { warmUpWire } from '../warm-up';

if (startupSnapshot.isBuildingSnapshot()) {
  // node runs the event loop dry before it takes the snapshot: the warm-up's call completes.
  void warmUpWire();
  startupSnapshot.setDeserializeMainFunction(() => runAgentCli(process.argv.slice(2)));
} else {
  runAgentCli(process.argv.slice(2));
}
