import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

/**
 * The runtime import graph of a compiled folder: each .js file and the files of the folder it requires. Read from the
 * compiled code, so type-only imports (erased by tsc) do not count, as they do not at run time.
 */
function importGraph(root: string, isCurrent: (file: string) => boolean = () => true): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.js') && isCurrent(file)) graph.set(file, requiresOf(file));
    }
  };
  walk(root);
  return graph;
}

function requiresOf(file: string): string[] {
  const deps: string[] = [];
  for (const [, spec] of readFileSync(file, 'utf8').matchAll(/require\("(\.{1,2}\/[^"]*)"\)/g)) {
    const target = path.resolve(path.dirname(file), spec);
    const candidates = [target, `${target}.js`, path.join(target, 'index.js')];
    const found = candidates.find((c) => c.endsWith('.js') && existsSync(c));
    if (found) deps.push(found);
  }
  return deps;
}

/** Every cycle a depth-first walk meets, each as the files around it (relative to `root`). */
function importCycles(root: string, isCurrent?: (file: string) => boolean): string[][] {
  const graph = importGraph(root, isCurrent);
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (state.get(dep) === 'open') cycles.push([...stack.slice(stack.indexOf(dep)), dep].map((f) => path.relative(root, f)));
      else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

describe('local Batch layout: the service folder has no runtime import cycle', () => {
  it('finds a cycle where there is one (a required file that requires its requirer, through a subfolder)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spc-layout-'));
    try {
      mkdirSync(path.join(dir, 'sub'));
      writeFileSync(path.join(dir, 'a.js'), 'require("./sub/b");\nrequire("node:path");\n');
      writeFileSync(path.join(dir, 'sub', 'b.js'), 'require("../a");\n');
      writeFileSync(path.join(dir, 'c.js'), 'require("./a");\n');
      assert.deepEqual(importCycles(dir), [['a.js', path.join('sub', 'b.js'), 'a.js']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('src/local-batch (compiled) has none', () => {
    const root = path.resolve(__dirname, '../../src/local-batch');
    // tsc -b leaves the output of a moved or deleted source behind: only files with a source are the service.
    const sources = path.resolve(__dirname, '../../../src/local-batch');
    const isCurrent = (file: string) => existsSync(path.join(sources, path.relative(root, file).replace(/\.js$/, '.ts')));
    assert.ok(importGraph(root, isCurrent).size > 30, `the compiled service is at ${root}`);
    assert.deepEqual(importCycles(root, isCurrent), []);
  });
});
