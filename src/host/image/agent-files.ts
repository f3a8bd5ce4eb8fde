// The agent as it is deployed in the guest: what scripts/bundle.mjs writes to
// dist/guest (the agent in one JavaScript file with its production
// dependencies, its V8 start-up snapshot and the native addon). No dist/ tree,
// no node_modules and no host code go into the image.
import { existsSync } from 'node:fs';
import path from 'node:path';

interface AgentFile {
  /** Path relative to the agent's directory in the guest. */
  relative: string;
  source: string;
}

const BUNDLE_DIR = 'dist/guest';
const BUNDLE_FILES = ['kata-agent.js', 'kata-agent.blob', 'agent_native.node'];
/** The VM tests' guest-side programs (the plumbing probe, the client): not in the image. */
const VM_TEST_DIR = 'dist/vm-test';

export function agentFiles(repo: string): AgentFile[] {
  return BUNDLE_FILES.map((name) => {
    const source = path.join(repo, BUNDLE_DIR, name);
    if (!existsSync(source)) throw new Error(`${source} is missing: run npm run build first`);
    return { relative: name, source };
  });
}

/** A program the VM tests bring into the guest through its share (`guest-probe.js`, `kata-agent-ctl.js`). */
export function vmTestFile(repo: string, name: string): string {
  const source = path.join(repo, VM_TEST_DIR, name);
  if (!existsSync(source)) throw new Error(`${source} is missing: run npm run build first`);
  return source;
}

/** The native addon of the guest build (a guest-side test program needs it beside itself). */
export function guestAddon(repo: string): string {
  return path.join(repo, BUNDLE_DIR, 'agent_native.node');
}
