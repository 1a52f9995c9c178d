import { randomBytes } from 'node:crypto';
import { mkdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type CheckResult, fail, pass } from '../check';

/** What to do, per errno, when AUTH_PATH cannot be written. */
const HINTS: Readonly<Record<string, string>> = {
  EACCES: 'give this user write access (chown/chmod), or point AUTH_PATH at a directory it can write',
  EPERM: 'give this user write access (chown/chmod), or point AUTH_PATH at a directory it can write',
  EROFS: 'mount a writable disk there (this filesystem is read-only); on Render, AUTH_PATH must be under the disk mount path',
  ENOTDIR: 'a file stands where one of its directories should be: move it away, or point AUTH_PATH elsewhere',
  EEXIST: 'a file of that name is not a directory: move it away, or point AUTH_PATH elsewhere',
  ENOSPC: 'free some disk space',
  EDQUOT: 'free some space within the disk quota',
};

/** Creates AUTH_PATH as a start would, and writes and removes a file in it. */
export async function checkAuthPath(authPath: string): Promise<CheckResult> {
  const dir = path.resolve(authPath);
  let existed = true;
  try {
    await stat(dir);
  } catch {
    existed = false;
  }
  const probe = path.join(dir, `.wa-tether-doctor-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(probe, 'probe\n', { mode: 0o600 });
    await unlink(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return fail(
      'auth path',
      `${dir} is not writable (${code}): the session, the lock and the database cannot be kept`,
      `${HINTS[code] ?? HINTS.EACCES}.`,
    );
  }
  return pass('auth path', `${dir} is writable${existed ? '' : ' (created it)'}`);
}
