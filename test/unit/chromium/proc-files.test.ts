import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { readProcFile } from '../../../src/chromium/proc-files';
import { mapLimit } from '../../../src/common/map-limit';

describe('readProcFile', () => {
  it('reads a /proc file whole, however long: procfs says 0 bytes for every file', async () => {
    // A command line longer than one read (4 KiB), as Chromium's are.
    const long = 'x'.repeat(20_000);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)', long], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const cmdline = await readProcFile(`/proc/${child.pid}/cmdline`);
      assert.ok(cmdline.length > 20_000);
      assert.deepEqual(cmdline, readFileSync(`/proc/${child.pid}/cmdline`));
      assert.match((await readProcFile(`/proc/${child.pid}/stat`)).toString('utf8'), new RegExp(`^${child.pid} \\(`));
    } finally {
      child.kill();
      await once(child, 'exit');
    }
  });

  it('rejects for a process that is gone', async () => {
    await assert.rejects(readProcFile('/proc/999999999/stat'));
  });
});

describe('mapLimit', () => {
  it('keeps the order of the items, with at most `limit` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, n * 3));
      inFlight--;
      return n * 10;
    });
    assert.deepEqual(results, [50, 10, 40, 20, 30, 0, 60]);
    assert.equal(most, 3);
    assert.deepEqual(await mapLimit([], 3, async () => 1), []);
  });

  it('a failure rejects the whole', async () => {
    await assert.rejects(
      mapLimit([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('two');
        return n;
      }),
      /two/,
    );
  });
});
