#!/usr/bin/env node
// Runs the test files with Node's own test runner and tsx, on Node 20 and 22+ alike:
// Node 20's `--test` does not expand globs, so the files are listed here.
//   node scripts/run-tests.mjs                          all suites (unit, http, e2e)
//   node scripts/run-tests.mjs unit                     only test/unit
//   node scripts/run-tests.mjs e2e                      only test/e2e
//   node scripts/run-tests.mjs --browser-wrapper e2e    with CHROME_PATH set to a wrapper script
//
// --browser-wrapper: the browser as distributions and CI images often ship it, a /bin/sh script
// that execs another (here Debian's /usr/bin/chromium, itself a script that execs the binary).
// The daemon must find, launch, measure and end its browser whatever starts it.
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const wrapped = args.includes('--browser-wrapper');
const suites = args.filter((a) => !a.startsWith('--'));
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

function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A wrapper script around the first browser found; its folder, to delete afterwards. */
function browserWrapper() {
  const target = ['/usr/bin/chromium', '/usr/lib/chromium/chromium', '/usr/bin/chromium-headless-shell'].find(executable);
  if (target === undefined) {
    console.error('--browser-wrapper: no Chromium to wrap (install it: ./scripts/setup.sh --tests)');
    process.exit(1);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wa-tether-browser-wrapper-'));
  const file = path.join(dir, 'browser');
  writeFileSync(file, `#!/bin/sh\n# A browser as a CI image ships it: a script that execs another.\nexec ${target} "$@"\n`);
  chmodSync(file, 0o755);
  console.log(`--browser-wrapper: CHROME_PATH=${file} (exec ${target})`);
  return { dir, file };
}

// The memory files measure one process over many restarts (2.5 minutes together); the browser
// behind a wrapper is the same binary, so they run once, in the plain pass.
const MEMORY_ONLY = new Set(['soak.test.ts', 'restart-memory.test.ts']);
const files = dirs
  .flatMap(collect)
  .filter((file) => !(wrapped && MEMORY_ONLY.has(path.basename(file))))
  .sort();
if (files.length === 0) {
  console.error(`No test files under ${dirs.join(', ')}`);
  process.exit(1);
}

const wrapper = wrapped ? browserWrapper() : null;
// The chaos run behind the wrapper takes another seed and half the time: new faults in another
// order rather than the plain pass's run again.
const env =
  wrapper === null
    ? process.env
    : { ...process.env, CHROME_PATH: wrapper.file, PUPPETEER_EXECUTABLE_PATH: wrapper.file, CHAOS_SEED: '20261207', CHAOS_SECONDS: '55' };

// Three phases, each a run of Node's test runner. The suites that start no browser (unit, http)
// run two files at a time. The end-to-end files run two at a time too: most of their time is
// spent waiting on a browser or a timer, not computing, and each has its own daemon, profile,
// ports and database. The memory files run last and alone: a process's PSS counts the pages it
// shares with others (node's and Chromium's code), so another test's processes starting or ending
// beside them would move what they measure.
const isMemory = (file) => MEMORY_ONLY.has(path.basename(file));
const isE2e = (file) => path.relative(root, file).split(path.sep)[1] === 'e2e';
const phases = [
  { name: 'unit and http', concurrency: 2, files: files.filter((f) => !isE2e(f) && !isMemory(f)) },
  { name: 'end-to-end', concurrency: 2, files: files.filter((f) => isE2e(f) && !isMemory(f)) },
  { name: 'memory', concurrency: 1, files: files.filter((f) => isMemory(f)) },
].filter((phase) => phase.files.length > 0);

function runPhase(phase) {
  console.log(`\n# ${phase.name}: ${phase.files.length} files, ${phase.concurrency} at a time`);
  const args = ['--import', 'tsx', '--test', `--test-concurrency=${phase.concurrency}`, '--test-reporter=spec', ...phase.files];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', cwd: root, env });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', (error) => {
      console.error(`${phase.name}: the test runner could not start: ${error.message}`);
      resolve(1);
    });
  });
}

const failed = [];
try {
  // Every phase runs even when one fails, so one report shows everything that is red.
  for (const phase of phases) {
    if ((await runPhase(phase)) !== 0) failed.push(phase.name);
  }
} finally {
  if (wrapper !== null) rmSync(wrapper.dir, { recursive: true, force: true });
}
if (failed.length > 0) console.error(`\nFailed: ${failed.join(', ')}`);
process.exit(failed.length > 0 ? 1 : 0);
