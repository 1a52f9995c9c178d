/** `npm run doctor` as an operator runs it (scripts/doctor.mjs), its report parsed line by line. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './daemon';

export interface Line {
  readonly verdict: string;
  readonly name: string;
  readonly detail: string;
  readonly fix: string | null;
}

export interface Report {
  readonly code: number | null;
  readonly text: string;
  readonly lines: readonly Line[];
  line(name: string): Line;
}

/** Runs the doctor as `npm run doctor` does (scripts/doctor.mjs) with exactly `env`. */
export function doctor(env: Record<string, string>): Promise<Report> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'doctor.mjs')], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      const lines: Line[] = [];
      for (const raw of text.split('\n')) {
        const check = /^ {2}(PASS|WARN|FAIL|SKIP) {2}(.{12}) (.*)$/.exec(raw);
        if (check) lines.push({ verdict: check[1]!, name: check[2]!.trim(), detail: check[3]!, fix: null });
        const fix = /^\s+fix: (.*)$/.exec(raw);
        if (fix && lines.length > 0) lines[lines.length - 1] = { ...lines[lines.length - 1]!, fix: fix[1]! };
      }
      resolve({
        code,
        text,
        lines,
        line(name) {
          const found = lines.find((l) => l.name === name);
          assert.ok(found, `no "${name}" line in:\n${text}`);
          return found;
        },
      });
    });
  });
}
