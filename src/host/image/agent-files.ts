// The agent as it is deployed in the guest: the bundle scripts/bundle.mjs
// writes to dist/guest (the agent, the VM plumbing probe and the client, each
// one JavaScript file with its production dependencies, the agent's V8 start-up
// snapshot and the native addon).
// No dist/ tree, no node_modules and no host code go into the image.
import { existsSync } from 'node:fs';
import path from 'node:path';

interface AgentFile {
  /** Path relative to the agent's directory in the guest. */
  relative: string;
  source: string;
}

const BUNDLE_DIR = 'dist/guest';
const BUNDLE_FILES = [
  'kata-agent.js',
  'kata-agent.blob',
  'guest-probe.js',
  'kata-agent-ctl.js',
  'agent_native.node',
];

export function agentFiles(repo: string): AgentFile[] {
  return BUNDLE_FILES.map((name) => {
    const source = path.join(repo, BUNDLE_DIR, name);
    if (!existsSync(source)) throw new Error(`${source} is missing: run npm run build first`);
    return { relative: name, source };
  });
}
