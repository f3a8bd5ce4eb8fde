// Preloaded in the guest (`node -r`): compiles the agent's CommonJS modules with
// V8 code cache made when the image was built, so the guest skips parsing and
// compiling them (node's start-up is several times slower under TCG than on the
// host, and most of it is compiling). The same file makes the cache on the host.
//   KATA_COMPILE_CACHE=<dir>          use the cache in <dir>
//   KATA_COMPILE_CACHE_PRODUCE=<dir>  write the cache of every module loaded, at exit
// A cache V8 rejects (another node version or flags) costs a normal compile.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

interface CjsModule {
  exports: unknown;
  require(id: string): unknown;
}

interface CjsLoader {
  prototype: { _compile(content: string, filename: string): unknown };
  wrap(script: string): string;
  _resolveFilename(request: string, parent: CjsModule, isMain: boolean, options?: unknown): string;
  _extensions: unknown;
  _cache: unknown;
}

/** The agent's root: this file is dist/src/host/image/ below it, on the host and in the guest. */
const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const useDir = process.env.KATA_COMPILE_CACHE;
const produceDir = process.env.KATA_COMPILE_CACHE_PRODUCE;

/** Cache file of a module: its path below ROOT, flattened. */
export function cacheName(filename: string): string | undefined {
  const rel = path.relative(ROOT, filename);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('__') + '.v8';
}

function install(): void {
  const loader = Module as unknown as CjsLoader;
  const produced: Array<[string, vm.Script]> = [];
  const compile = (mod: CjsModule, content: string, filename: string): unknown => {
    const name = cacheName(filename);
    let cachedData: Buffer | undefined;
    if (name && useDir) {
      try {
        cachedData = readFileSync(path.join(useDir, name));
      } catch {
        // Not cached: compile as usual.
      }
    }
    const script = new vm.Script(loader.wrap(content.replace(/^#!.*/, '')), { filename, cachedData });
    if (name && produceDir) produced.push([name, script]);
    const fn = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    const moduleRequire = Object.assign((id: string) => mod.require(id), {
      resolve: (request: string, options?: unknown) => loader._resolveFilename(request, mod, false, options),
      main: require.main,
      extensions: loader._extensions,
      cache: loader._cache,
    });
    return fn.call(mod.exports, mod.exports, moduleRequire, mod, filename, path.dirname(filename));
  };
  loader.prototype._compile = function (this: CjsModule, content: string, filename: string): unknown {
    return compile(this, content, filename);
  };
  if (produceDir) {
    process.on('exit', () => {
      mkdirSync(produceDir, { recursive: true });
      // After running, the cache also holds the functions start-up compiled.
      for (const [name, script] of produced)
        writeFileSync(path.join(produceDir, name), script.createCachedData());
    });
  }
}

if (useDir || produceDir) install();
