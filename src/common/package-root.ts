import { existsSync } from 'node:fs';
import path from 'node:path';

/** The folder of the nearest package.json above `from`: the same whether code runs from src/ (tsx) or dist/src/. */
export function findPackageRoot(from: string): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}
