#!/usr/bin/env node
// Runs the test files with Node's own test runner and tsx, on Node 20 and 22+ alike:
// Node 20's `--test` does not expand globs, so the files are listed here.
//   node scripts/run-tests.mjs            all suites (unit, http, e2e)
//   node scripts/run-tests.mjs unit       only test/unit
//   node scripts/run-tests.mjs e2e        only test/e2e
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
const suites = process.argv.slice(2);
const dirs = (suites.length > 0 ? suites : ['unit', 'http', 'e2e']).map((s) => path.join(root, 'test', s));

function collect(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return collect(full);
    return name.endsWith('.test.ts') ? [full] : [];
  });
}

const files = dirs.flatMap(collect).sort();
if (files.length === 0) {
  console.error(`No test files under ${dirs.join(', ')}`);
  process.exit(1);
}

// End-to-end files each start real Chromium: run files one at a time so two suites never
// compete for the machine's two cores and skew each other's timeouts.
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { stdio: 'inherit', cwd: root },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
