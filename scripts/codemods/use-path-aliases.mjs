#!/usr/bin/env node
// Rewrites relative imports that climb out of their module into the path aliases of tsconfig.json:
//   src/modules/lessons/x.ts:  '../../common/money/money'        -> '@common/money/money'
//   src/modules/lessons/x.ts:  '../contracts/contracts.service'  -> '@modules/contracts/contracts.service'
//   test/unit/x.spec.ts:       '../../src/infra/database/sql'    -> '@infra/database/sql'
// Imports inside one module (src/modules/<name>/, src/common/, src/infra/, ...) stay relative, and so do
// imports of files outside the aliased folders (test/support, migrations, src/app.module).
// Plain Node, no dependencies. Handles `from '…'`, `import '…'`, `import('…')`, `require('…')`, `jest.mock('…')`.
// Jest's globalSetup/globalTeardown files are left alone: Jest loads them outside its module registry,
// where moduleNameMapper does not apply (jestjs/jest#11644), so an alias there cannot be resolved.
//
//   node scripts/codemods/use-path-aliases.mjs            rewrite files in src/ test/ bench/ scripts/ migrations/
//   node scripts/codemods/use-path-aliases.mjs --check    change nothing; list what it would change, exit 1 if any
//   node scripts/codemods/use-path-aliases.mjs <dir>...   limit it to some folders
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `@alias/*` -> folder, read from tsconfig.json so the two cannot disagree. */
function readAliases() {
  const text = readFileSync(join(root, 'tsconfig.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '');
  const paths = JSON.parse(text).compilerOptions.paths ?? {};
  return Object.entries(paths)
    .filter(([alias, targets]) => alias.endsWith('/*') && targets.length === 1 && targets[0].endsWith('/*'))
    .map(([alias, [target]]) => ({ alias: alias.slice(0, -2), folder: resolve(root, target.slice(0, -2)) }));
}

/** The unit a file belongs to: src/modules/<name>, another top-level folder of src, src itself, or test/bench/... */
function unitOf(absPath) {
  const parts = relative(root, absPath).split(sep);
  if (parts[0] !== 'src') return parts[0];
  if (parts[1] === 'modules' && parts.length > 3) return parts.slice(0, 3).join('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : 'src';
}

const SPECIFIER =
  /(\bfrom\s*|^\s*import\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bjest\.(?:mock|doMock|unmock|requireActual)\s*\(\s*)(['"])(\.\.\/[^'"\n]*)\2/gm;

export function rewrite(file, source, aliases) {
  const changes = [];
  const out = source.replace(SPECIFIER, (whole, lead, quote, spec) => {
    const target = resolve(dirname(file), spec);
    if (unitOf(target) === unitOf(file)) return whole;
    const hit = aliases.find(({ folder }) => target === folder || target.startsWith(folder + sep));
    if (!hit) return whole;
    const rest = relative(hit.folder, target).split(sep).join('/');
    const aliased = rest ? `${hit.alias}/${rest}` : hit.alias;
    changes.push(`${spec} -> ${aliased}`);
    return `${lead}${quote}${aliased}${quote}`;
  });
  return { out, changes };
}

/** globalSetup / globalTeardown files of jest.config.js (any project). */
function jestGlobalFiles() {
  const config = createRequire(import.meta.url)(join(root, 'jest.config.js'));
  return new Set(
    [config, ...(config.projects ?? [])]
      .flatMap((c) => [c.globalSetup, c.globalTeardown])
      .filter((f) => typeof f === 'string')
      .map((f) => resolve(root, f.replace('<rootDir>', '.'))),
  );
}

function* tsFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (/\.(ts|mts|cts)$/.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

const args = process.argv.slice(2);
const check = args.includes('--check');
const dirs = args.filter((a) => !a.startsWith('--'));
const aliases = readAliases();
const skipped = jestGlobalFiles();
let files = 0;
let imports = 0;
for (const dir of dirs.length ? dirs : ['src', 'test', 'bench', 'scripts', 'migrations']) {
  for (const file of tsFiles(resolve(root, dir))) {
    if (skipped.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    const { out, changes } = rewrite(file, source, aliases);
    if (!changes.length) continue;
    files += 1;
    imports += changes.length;
    if (check) console.log(`${relative(root, file)}\n  ${changes.join('\n  ')}`);
    else writeFileSync(file, out);
  }
}
console.log(`${check ? 'would rewrite' : 'rewrote'} ${imports} imports in ${files} files`);
if (check && imports > 0) process.exit(1);
