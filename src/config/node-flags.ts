// V8's flags the agent is meant to run with. They cannot be set once node has
// started (the heap is sized at start-up), so they travel with every way of
// starting the agent: the image's /init passes them, the bundled agent's first
// line asks for them, and the agent says so when it was started without them.
//
// A 1 MiB young generation: under load V8 otherwise grows it to 16 MiB per
// semi-space and keeps it. Measured: RSS +27 % instead of +75 % after 10,000
// RPCs at the same speed, 80 instead of 103 MB high-water under h2load, and
// back to idle after bursts of gzip bombs (docs/benchmarks.md, docs/soak.md).
export const AGENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/** The flags missing from this process's command line and NODE_OPTIONS. */
export function missingNodeFlags(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)]);
  return AGENT_NODE_FLAGS.filter((f) => !given.has(f));
}
