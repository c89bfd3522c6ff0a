#!/usr/bin/env node
// The layering rules of src/, checked on every `npm test` (and `npm run lint`):
//   1. only the Kafka adapter (src/runtime/kafka/) imports kafkajs, only src/state/ imports rocksdb;
//   2. a folder imports only the folders below it (LAYERS): no import runs upward;
//   3. no import cycle between files through imports that exist at run time.
// Static imports, re-exports, dynamic import() and require() all count for 1 and 2; `import type`
// (erased before it runs) does not count for 3. Exits 1 listing every
// violation, 0 with a one-line summary otherwise.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');

/** Which folders each folder of src/ may import (besides itself and the base files). */
const LAYERS = {
  codec: [],
  crypto: ['codec'],
  tempo: ['codec', 'crypto'],
  state: ['codec'],
  runtime: ['codec', 'state'],
  topics: ['codec', 'crypto', 'tempo', 'state', 'runtime'],
  processors: ['codec', 'crypto', 'tempo', 'state', 'runtime', 'topics'],
  edges: ['codec', 'crypto', 'tempo', 'state', 'runtime', 'topics', 'processors'],
  app: ['codec', 'crypto', 'tempo', 'state', 'runtime', 'topics', 'processors', 'edges'],
  sim: ['codec', 'crypto', 'tempo', 'state', 'runtime', 'topics', 'processors', 'edges', 'app'],
  cli: ['codec', 'crypto', 'tempo', 'state', 'runtime', 'topics', 'processors', 'edges', 'app', 'sim'],
};
/** Files directly in src/ that every layer may import (they import nothing of src/ but each other). */
const BASE = new Set(['config.ts', 'paths.ts', 'show.ts']);
/** Packages only one folder may import, and why. */
const PACKAGES = {
  kafkajs: { only: 'runtime/kafka', why: 'the Kafka port keeps kafkajs behind one adapter' },
  rocksdb: { only: 'state', why: 'the key-value port keeps RocksDB behind src/state' },
};

/** `import … from '…'`, `import '…'`, `export … from '…'`; group 1 is `type` for type-only statements. */
const STATIC = /^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\bfrom\s*)?(['"])([^'"]+)\2/gm;
/** `import('…')` and `require('…')`. */
const DYNAMIC = /\b(?:import|require)\s*\(\s*(['"])([^'"]+)\1/g;

/** Every module a file names, and whether that edge exists at run time. */
function specifiers(code) {
  const out = [];
  for (const m of code.matchAll(STATIC)) out.push({ spec: m[3], runtime: m[1] === undefined });
  for (const m of code.matchAll(DYNAMIC)) out.push({ spec: m[2], runtime: true });
  return out;
}

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const problems = [];
const graph = new Map(); // file → files of src/ it imports
const all = files(src);
for (const file of all) {
  const rel = relative(src, file);
  const folder = rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : null;
  // Comments may name modules (docs); only code counts.
  const code = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const deps = [];
  for (const { spec, runtime } of specifiers(code)) {
    if (!spec.startsWith('.')) {
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      const rule = PACKAGES[pkg];
      if (rule && !rel.startsWith(`${rule.only}/`)) problems.push(`${rel}: imports ${spec}, but only src/${rule.only}/ may (${rule.why})`);
      continue;
    }
    const target = relative(src, resolve(dirname(file), spec));
    if (target.startsWith('..')) {
      problems.push(`${rel}: imports ${spec}, outside src/`);
      continue;
    }
    if (runtime) deps.push(join(src, target));
    const to = target.includes('/') ? target.slice(0, target.indexOf('/')) : null;
    if (to === null) {
      if (!BASE.has(target)) problems.push(`${rel}: imports src/${target}, which is not a base file (${[...BASE].join(', ')})`);
      continue;
    }
    if (folder === null) {
      if (BASE.has(rel)) problems.push(`${rel}: a base file imports src/${target}`);
      continue;
    }
    if (to === folder) continue;
    const allowed = LAYERS[folder];
    if (!allowed) problems.push(`${rel}: folder src/${folder}/ has no place in LAYERS (scripts/check-layers.mjs)`);
    else if (!allowed.includes(to))
      problems.push(`${rel}: imports src/${target}, but src/${folder}/ may only import ${allowed.length ? allowed.map((f) => `src/${f}/`).join(', ') : 'nothing else of src/'}`);
  }
  graph.set(file, deps);
}

// Import cycles between files (depth-first search; each cycle reported once, by its members).
const state = new Map();
const seen = new Set();
const stack = [];
function visit(f) {
  state.set(f, 1);
  stack.push(f);
  for (const d of graph.get(f) ?? []) {
    if (!graph.has(d)) continue;
    if (state.get(d) === 1) {
      const cycle = stack.slice(stack.indexOf(d)).map((x) => relative(src, x));
      const id = [...cycle].sort().join(' ');
      if (!seen.has(id)) {
        seen.add(id);
        problems.push(`import cycle: ${[...cycle, relative(src, d)].join(' → ')}`);
      }
    } else if (!state.has(d)) visit(d);
  }
  stack.pop();
  state.set(f, 2);
}
for (const f of all) if (!state.has(f)) visit(f);

if (problems.length > 0) {
  console.error(`check-layers: ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
  process.exit(1);
}
console.error(`check-layers: ${all.length} files of src/, layering and package boundaries hold, no import cycles`);
