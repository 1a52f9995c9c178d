/**
 * Counts the browsers on a profile from /proc, on its own terms (not the daemon's code, which is
 * what is under test). Two traps make a naive `pgrep -f --user-data-dir=...` see two browsers for
 * a moment during every launch: a process Chromium forks carries the browser's command line (no
 * `--type=`) until it execs, and Debian's /usr/bin/chromium wrapper runs subshells with the same
 * arguments. So a browser is a process whose executable is a Chromium binary, with the profile as
 * its `--user-data-dir`, no `--type=`, and a parent that is not itself such a browser.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';

const BROWSER_BINARIES = new Set(['chromium', 'chrome', 'chromium-headless-shell', 'chrome-headless-shell', 'headless_shell']);

export interface BrowserProcess {
  readonly pid: number;
  readonly ppid: number;
  readonly exe: string;
}

interface Candidate extends BrowserProcess {
  readonly args: readonly string[];
}

async function describe(pid: number): Promise<Candidate | null> {
  try {
    const [exe, cmdline, stat] = await Promise.all([
      readlink(`/proc/${pid}/exe`),
      readFile(`/proc/${pid}/cmdline`, 'utf8'),
      readFile(`/proc/${pid}/stat`, 'utf8'),
    ]);
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return null;
    return { pid, ppid: Number(fields[1]), exe: exe.replace(/ \(deleted\)$/, ''), args: cmdline.split('\0').filter(Boolean) };
  } catch {
    return null; // gone, or not ours to read
  }
}

export async function browsersOnProfile(profileDir: string): Promise<BrowserProcess[]> {
  const profileArg = `--user-data-dir=${path.resolve(profileDir)}`;
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const described = await Promise.all(pids.map(describe));
  const onProfile = described.filter(
    (c): c is Candidate =>
      c !== null && BROWSER_BINARIES.has(path.basename(c.exe)) && c.args.includes(profileArg) && !c.args.some((arg) => arg.startsWith('--type=')),
  );
  const pidsOnProfile = new Set(onProfile.map((c) => c.pid));
  return onProfile.filter((c) => !pidsOnProfile.has(c.ppid)).map(({ pid, ppid, exe }) => ({ pid, ppid, exe }));
}
