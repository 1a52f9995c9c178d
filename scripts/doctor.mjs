#!/usr/bin/env node
// `npm run doctor`: the built doctor when there is one; from the sources (tsx) otherwise, so it
// still answers on a machine where the build is what is broken.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
const built = path.join(root, 'dist', 'src', 'doctor.js');
const args = existsSync(built) ? [built] : ['--import', 'tsx', path.join(root, 'src', 'doctor.ts')];
const run = spawnSync(process.execPath, args, { stdio: 'inherit' });
if (run.error) {
  process.stderr.write(`The doctor could not run (${run.error.message}). To resolve, run: npm run build\n`);
  process.exit(2);
}
process.exit(run.status ?? 1);
