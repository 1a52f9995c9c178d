// Whether dist/ is there and current, for the scripts that run before or without a build
// (prestart, the doctor). The doctor's own build check (src/doctor/checks/check-runtime.ts)
// asks the same in TypeScript, for the report.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Newest modification time of a .ts file under `dir`; 0 when there is none (an image ships dist/ only). */
function newestSource(dir) {
  let newest = 0;
  let entries = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** `missing`, `stale` (older than a source in src/) or `current`, for the built `file` (relative to root). */
export function buildState(root, file) {
  const built = path.join(root, file);
  if (!existsSync(built)) return 'missing';
  return statSync(built).mtimeMs < newestSource(path.join(root, 'src')) ? 'stale' : 'current';
}
