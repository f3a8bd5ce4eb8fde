// The agent as the image ships and starts it: the bundle in dist/guest started
// from its V8 start-up snapshot with the agent's node flags (what /init runs).
// Tests that start the agent as a program use it, so they cover the artifact
// and not only the dist/ tree.
import path from 'node:path';
import { AGENT_NODE_FLAGS } from '../../src/config/node-flags';

const GUEST_BUNDLE_DIR = path.join(__dirname, '..', '..', 'guest');

/** node's arguments up to the agent's own options: `[...artifactArgs(), '--listen', ...]`. */
export function artifactArgs(): string[] {
  return [
    ...AGENT_NODE_FLAGS,
    '--snapshot-blob',
    path.join(GUEST_BUNDLE_DIR, 'kata-agent.blob'),
    path.join(GUEST_BUNDLE_DIR, 'kata-agent.js'),
  ];
}
