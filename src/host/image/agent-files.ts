// The agent as it is deployed in the guest: compiled JavaScript, the production
// dependencies from node_modules, the native addon and package.json. Host-only
// code (src/host), tests, type declarations, source maps and docs stay out.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export interface AgentFile {
  /** Path relative to the repository root, and to the agent's directory in the guest. */
  relative: string;
  source: string;
}

/** Files of the host tooling that run inside the guest too. */
const GUEST_SIDE_HOST_FILES = ['dist/src/host/guest-probe.js'];

const SKIPPED = /(\.d\.[mc]?ts|\.ts|\.map|\.md|\.markdown|\.tsbuildinfo)$/i;
/** Package-root directories that no require() reaches. */
const UNUSED_DIRS = ['test', 'tests', 'example', 'examples', 'docs', 'benchmark', 'benchmarks'];

/**
 * Directories of a package that node's require() never loads: its ES module
 * builds ("module", "esnext") when "main" is a CommonJS build elsewhere, and
 * tests or examples. Paths are relative to the package directory.
 */
export function unusedPackageDirs(packageJson: Record<string, unknown>): string[] {
  const top = (p: unknown): string | undefined => {
    if (typeof p !== 'string') return undefined;
    const parts = p.replace(/^\.\//, '').split('/');
    return parts.length > 2 ? parts.slice(0, 2).join('/') : undefined;
  };
  const main = top(packageJson.main);
  const alternates = [top(packageJson.module), top(packageJson.esnext)].filter(
    (d): d is string => d !== undefined && d !== main,
  );
  return [...new Set([...alternates, ...UNUSED_DIRS])];
}

function walk(root: string, dir: string, out: AgentFile[], keep: (rel: string) => boolean): void {
  for (const name of readdirSync(path.join(root, dir))) {
    const rel = path.join(dir, name);
    const abs = path.join(root, rel);
    const st = statSync(abs);
    if (st.isDirectory()) walk(root, rel, out, keep);
    else if (st.isFile() && keep(rel)) out.push({ relative: rel, source: abs });
  }
}

interface LockPackage {
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
}

/** node_modules/... directories of production dependencies, from package-lock.json. */
export function productionPackages(repo: string): string[] {
  const lock = JSON.parse(readFileSync(path.join(repo, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockPackage>;
  };
  return Object.entries(lock.packages)
    .filter(([key, p]) => key.startsWith('node_modules/') && !p.dev && !p.devOptional)
    .map(([key]) => key)
    .filter((dir) => existsSync(path.join(repo, dir)))
    .sort();
}

export function agentFiles(repo: string): AgentFile[] {
  const out: AgentFile[] = [];
  const dist = path.join(repo, 'dist', 'src');
  if (!existsSync(path.join(dist, 'cli', 'agent.js'))) {
    throw new Error(`${dist}/cli/agent.js is missing: run npm run build first`);
  }
  walk(repo, 'dist/src', out, (rel) => rel.endsWith('.js') && !rel.startsWith('dist/src/host/'));
  for (const rel of GUEST_SIDE_HOST_FILES) {
    if (existsSync(path.join(repo, rel))) out.push({ relative: rel, source: path.join(repo, rel) });
  }
  const packages = productionPackages(repo);
  for (const dir of packages) {
    const manifest = JSON.parse(readFileSync(path.join(repo, dir, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const unused = unusedPackageDirs(manifest).map((d) => `${dir}/${d}/`);
    // Nested packages are listed (or left out as dev-only) on their own.
    walk(
      repo,
      dir,
      out,
      (rel) =>
        !SKIPPED.test(rel) &&
        !rel.slice(dir.length).includes('/node_modules/') &&
        !unused.some((u) => rel.startsWith(u)),
    );
  }
  const addon = 'build/Release/agent_native.node';
  if (existsSync(path.join(repo, addon))) out.push({ relative: addon, source: path.join(repo, addon) });
  out.push({ relative: 'package.json', source: path.join(repo, 'package.json') });
  return out;
}
