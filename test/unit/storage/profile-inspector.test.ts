import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdirSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { ProfileInspector } from '../../../src/storage/profile-inspector';
import { systemClock } from '../../../src/common/clock';
import { FakeClock } from '../../support/fake-clock';
import { RecordingLogger } from '../../support/recording-logger';

const logger = new RecordingLogger();
const clock = systemClock;

let root: string;

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'wa-tether-inspector-'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Files with known sizes and mtimes; directories get older mtimes, set after their contents. */
async function plantTree(dir: string): Promise<{ size: number; newest: Date }> {
  const old = new Date('2024-01-01T00:00:00Z');
  const newest = new Date('2024-06-01T12:00:00Z');
  const files: Array<[string, number, Date]> = [
    ['Local State', 417, old],
    ['Default/Preferences', 1234, old],
    ['Default/IndexedDB/https_web.whatsapp.com_0.indexeddb.leveldb/000003.log', 5000, newest],
    ['Default/Local Storage/leveldb/LOG', 10, old],
  ];
  for (const [name, size, mtime] of files) {
    const full = path.join(dir, name);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, Buffer.alloc(size, 1));
    await utimes(full, mtime, mtime);
  }
  for (const sub of [
    'Default/IndexedDB/https_web.whatsapp.com_0.indexeddb.leveldb',
    'Default/IndexedDB',
    'Default/Local Storage/leveldb',
    'Default/Local Storage',
    'Default',
    '.',
  ]) {
    await utimes(path.join(dir, sub), old, old);
  }
  return { size: files.reduce((sum, [, size]) => sum + size, 0), newest };
}

describe('ProfileInspector', () => {
  it('sums the sizes of the files and finds the newest mtime of a planted tree', async () => {
    const dir = path.join(root, 'tree');
    await mkdir(dir);
    const expected = await plantTree(dir);
    const checkedAt = new Date('2025-01-01T00:00:00Z');
    const inspector = new ProfileInspector({ profileDir: dir, logger, clock: new FakeClock(checkedAt.getTime()) });

    const info = await inspector.refresh();
    assert.deepEqual(info, {
      exists: true,
      lastModified: expected.newest,
      size: expected.size,
      path: dir,
      checkedAt,
    });
    assert.equal(inspector.current(), info);
  });

  it('reads as unknown (null) before the first refresh, and as absent for a missing directory', async () => {
    const dir = path.join(root, 'missing');
    const inspector = new ProfileInspector({ profileDir: dir, logger, clock });
    assert.equal(inspector.current().exists, null, 'never "absent" before it has looked');
    assert.ok(inspector.current().checkedAt instanceof Date);

    const info = await inspector.refresh();
    assert.equal(info.exists, false);
    assert.equal(info.lastModified, null);
    assert.equal(info.size, 0);
    assert.equal(info.path, dir);
  });

  it('does not follow symlinks, to files or to directories', async () => {
    const dir = path.join(root, 'links');
    const outside = path.join(root, 'outside');
    await mkdir(dir);
    await mkdir(outside);
    await writeFile(path.join(outside, 'big'), Buffer.alloc(100_000));
    await writeFile(path.join(dir, 'small'), Buffer.alloc(10));
    await symlink(path.join(outside, 'big'), path.join(dir, 'link-to-file'));
    await symlink(outside, path.join(dir, 'link-to-dir'));
    await symlink('vm-12345', path.join(dir, 'SingletonLock'));

    const info = await new ProfileInspector({ profileDir: dir, logger, clock }).refresh();
    assert.equal(info.size, 10, 'the small file only: links are counted as themselves, never followed');
  });

  it('shares one walk between concurrent refreshes, and walks again afterwards', async () => {
    const dir = path.join(root, 'shared');
    await mkdir(dir);
    await writeFile(path.join(dir, 'a'), Buffer.alloc(5));
    const inspector = new ProfileInspector({ profileDir: dir, logger, clock });

    const first = inspector.refresh();
    const second = inspector.refresh();
    assert.equal(first, second);
    assert.equal((await first).size, 5);

    await writeFile(path.join(dir, 'b'), Buffer.alloc(7));
    const third = inspector.refresh();
    assert.notEqual(third, first);
    assert.equal((await third).size, 12);
  });

  it('current() answers from the cache without touching the disk', async () => {
    const dir = path.join(root, 'cached');
    await mkdir(dir);
    await writeFile(path.join(dir, 'a'), Buffer.alloc(42));
    const inspector = new ProfileInspector({ profileDir: dir, logger, clock });
    const info = await inspector.refresh();

    await rm(dir, { recursive: true });
    assert.equal(inspector.current(), info);
    assert.equal(inspector.current().size, 42);
    assert.equal((await inspector.refresh()).exists, false);
  });

  it('tolerates files vanishing during the walk', async () => {
    const dir = path.join(root, 'churn');
    await mkdir(path.join(dir, 'Default'), { recursive: true });
    const names = Array.from({ length: 500 }, (_, i) => path.join(dir, 'Default', `f${i}`));
    await Promise.all(names.map((name) => writeFile(name, 'x')));
    const inspector = new ProfileInspector({ profileDir: dir, logger, clock });
    const walking = inspector.refresh();
    await Promise.all(names.map((name) => rm(name, { force: true })));
    const info = await walking;
    assert.equal(info.exists, true);
    assert.ok(info.size <= 500);
  });

  it('walks 10,000 files / 200 MB without holding the event loop for long', async (t) => {
    const dir = path.join(root, 'large');
    const perFile = 20_000; // sparse: 10,000 x 20 kB = 200 MB apparent size
    // Synchronous setup: ten thousand thread-pool round trips would dominate the test's time.
    for (let d = 0; d < 100; d += 1) {
      const sub = path.join(dir, 'Default', `dir${d}`);
      mkdirSync(sub, { recursive: true });
      for (let f = 0; f < 100; f += 1) {
        const fd = openSync(path.join(sub, `f${f}`), 'w');
        ftruncateSync(fd, perFile);
        closeSync(fd);
      }
    }
    const inspector = new ProfileInspector({ profileDir: dir, logger, clock });
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const started = performance.now();
    const info = await inspector.refresh();
    const took = performance.now() - started;
    delay.disable();

    assert.equal(info.size, 10_000 * perFile);
    const worstMs = delay.max / 1e6;
    assert.ok(worstMs < 200, `event loop held for ${worstMs.toFixed(1)} ms`);
    t.diagnostic(`walked 10,000 files in ${took.toFixed(0)} ms; worst event loop delay ${worstMs.toFixed(1)} ms`);
  });
});
