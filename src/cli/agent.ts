#!/usr/bin/env node
// kata-agent: the guest agent. In a VM it is started by the initrd (often as
// PID 1) and configured by the kernel command line; flags serve development.
//
// The same file is the source of the image's start-up snapshot
// (`node --build-snapshot`, scripts/bundle.mjs): building it only loads the
// modules, and the agent starts when node deserializes the snapshot. Started
// from the snapshot, node puts the first positional argument where the
// script's path would be, so the options always start at argv[2].
//
// Nothing may run at build time beyond loading modules: node warns that some
// built-ins (child_process among them) are not verified in snapshots, and
// whatever state a build-time run leaves lives on in every guest. Seen: with
// one Health.Check run through the wire at build time to warm its code,
// StartContainer hung in the guest about once in 50 containers (the runtime's
// `start` had finished); without it, none in 160.
import { startupSnapshot } from 'node:v8';
import { runAgentCli } from './agent-main';

if (startupSnapshot.isBuildingSnapshot()) {
  startupSnapshot.setDeserializeMainFunction(() => runAgentCli(process.argv.slice(2)));
} else {
  runAgentCli(process.argv.slice(2));
}
