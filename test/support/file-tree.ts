import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Writes each file of `files` (relative path → content) under `dir`, making folders as needed. */
export async function writeTree(dir: string, files: Readonly<Record<string, Buffer>>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
}

/** Every regular file under `dir`, by relative path, as hex (so deepEqual shows which differs); null when `dir` is not there. */
export async function readTree(dir: string): Promise<Record<string, string> | null> {
  let names: string[];
  try {
    names = (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const tree: Record<string, string> = {};
  for (const name of names.sort()) tree[name] = (await readFile(path.join(dir, name))).toString('hex');
  return tree;
}

/** `files` in readTree's form. */
export function hexTree(files: Readonly<Record<string, Buffer>>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([name, content]) => [name, content.toString('hex')]));
}
