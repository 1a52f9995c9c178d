import assert from 'node:assert/strict';
import { type FileHandle, mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EMPTY_METADATA, metadataPathFor, SessionMetadataStore, type SessionMetadata } from '../../../src/storage/session-metadata';
import { RecordingLogger } from '../../support/recording-logger';

const SAMPLE: SessionMetadata = {
  pairedAt: '2025-03-01T10:00:00.000Z',
  me: { id: '15550001111', name: 'Test Bot' },
  lastReadyAt: '2025-03-02T10:00:00.000Z',
  lastLoggedOutAt: null,
  logoutReason: null,
};

let root: string;
let count = 0;

async function freshFile(): Promise<string> {
  count += 1;
  const dir = path.join(root, `auth-${count}`);
  await mkdir(dir);
  return metadataPathFor(dir, 'bot');
}

describe('SessionMetadataStore', () => {
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'wa-tether-meta-'));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('puts the file beside the profile, named after the client', () => {
    assert.equal(metadataPathFor('/data/auth', 'my-bot'), '/data/auth/wa-tether-my-bot.json');
  });

  it('round-trips what it writes, in a file only its owner can read', async () => {
    const file = await freshFile();
    const store = new SessionMetadataStore({ file, logger: new RecordingLogger() });
    assert.deepEqual(await store.update(SAMPLE), SAMPLE);

    const reopened = new SessionMetadataStore({ file, logger: new RecordingLogger() });
    assert.deepEqual(await reopened.read(), SAMPLE);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  it('reads a missing file as empty, quietly', async () => {
    const logger = new RecordingLogger();
    const store = new SessionMetadataStore({ file: await freshFile(), logger });
    assert.deepEqual(await store.read(), EMPTY_METADATA);
    assert.deepEqual(logger.lines, []);
  });

  it('reads corrupt JSON or a wrong shape as empty, with a warning, and never throws', async () => {
    const cases = ['{"pairedAt": "2025', '[]', 'null', '{"pairedAt": 5}', '{"me": {"id": 42}}', '{"lastReadyAt": "not a date"}'];
    for (const content of cases) {
      const file = await freshFile();
      await writeFile(file, content);
      const logger = new RecordingLogger();
      const store = new SessionMetadataStore({ file, logger });
      assert.deepEqual(await store.read(), EMPTY_METADATA, content);
      assert.equal(logger.at('warn').length, 1, content);
    }
  });

  it('reads absent fields as null (files from older versions still load)', async () => {
    const file = await freshFile();
    await writeFile(file, JSON.stringify({ pairedAt: SAMPLE.pairedAt, me: { id: '1555' } }));
    const store = new SessionMetadataStore({ file, logger: new RecordingLogger() });
    assert.deepEqual(await store.read(), { ...EMPTY_METADATA, pairedAt: SAMPLE.pairedAt, me: { id: '1555', name: null } });
  });

  it('lands every one of many concurrent updates', async () => {
    const file = await freshFile();
    const store = new SessionMetadataStore({ file, logger: new RecordingLogger() });
    const patches: Array<Partial<SessionMetadata>> = [
      { pairedAt: SAMPLE.pairedAt },
      { me: SAMPLE.me },
      { lastReadyAt: SAMPLE.lastReadyAt },
      { lastLoggedOutAt: '2025-03-03T10:00:00.000Z' },
      { logoutReason: 'LOGOUT' },
    ];
    const results = await Promise.all(patches.map((patch) => store.update(patch)));
    const expected = { ...SAMPLE, lastLoggedOutAt: '2025-03-03T10:00:00.000Z', logoutReason: 'LOGOUT' };
    assert.deepEqual(results.at(-1), expected);
    assert.deepEqual(await new SessionMetadataStore({ file, logger: new RecordingLogger() }).read(), expected);
  });

  it('leaves no temp files behind', async () => {
    const file = await freshFile();
    const store = new SessionMetadataStore({ file, logger: new RecordingLogger() });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.update({ logoutReason: `reason ${i}` })));
    assert.deepEqual(await readdir(path.dirname(file)), [path.basename(file)]);
  });

  it('keeps the old file when a write dies midway, and ignores the stray temp file', async () => {
    const file = await freshFile();
    const store = new SessionMetadataStore({ file, logger: new RecordingLogger() });
    await store.update(SAMPLE);
    // What a crash between writing the temp file and renaming it leaves behind.
    await writeFile(`${file}.12345.abcdef123456.tmp`, '{"pairedAt": "2025-09-09T0');

    const reopened = new SessionMetadataStore({ file, logger: new RecordingLogger() });
    assert.deepEqual(await reopened.read(), SAMPLE);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), SAMPLE);
  });

  it('a write that dies midway (the disk filled up) leaves the old content whole', async () => {
    const file = await freshFile();
    const store = new SessionMetadataStore({ file, logger: new RecordingLogger() });
    await store.update(SAMPLE);
    // Every file the store opens from now on takes half of what is written, then fails.
    const dying: typeof open = async (target, flags, mode) => {
      const handle = await open(target, flags, mode);
      return Object.assign(Object.create(handle) as FileHandle, {
        writeFile: async (data: string) => {
          await handle.write(data.slice(0, Math.floor(data.length / 2)));
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        },
        close: () => handle.close(),
      });
    };
    const failing = new SessionMetadataStore({ file, logger: new RecordingLogger(), openFile: dying });
    await assert.rejects(failing.update({ logoutReason: 'never written', lastLoggedOutAt: '2025-09-09T09:09:09.000Z' }), /ENOSPC/);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), SAMPLE, 'the file still holds the last good write');
    assert.deepEqual(await new SessionMetadataStore({ file, logger: new RecordingLogger() }).read(), SAMPLE);
    assert.deepEqual(await readdir(path.dirname(file)), [path.basename(file)], 'the half-written temp file is removed');
  });

  it('a failed update rejects, and the queue carries on', async () => {
    const file = await freshFile();
    const store = new SessionMetadataStore({ file, logger: new RecordingLogger() });
    await store.update(SAMPLE);
    await rm(path.dirname(file), { recursive: true });
    await writeFile(path.dirname(file), 'a file where the directory was');

    await assert.rejects(store.update({ logoutReason: 'x' }));

    await rm(path.dirname(file));
    await store.update(SAMPLE);
    assert.deepEqual(await store.read(), SAMPLE);
  });

  it('keeps a field the patch sets to undefined; null clears it', async () => {
    const file = await freshFile();
    const store = new SessionMetadataStore({ file, logger: new RecordingLogger() });
    await store.update(SAMPLE);
    assert.deepEqual((await store.update({ me: undefined })).me, SAMPLE.me);
    assert.equal((await store.update({ me: null })).me, null);
    assert.equal((JSON.parse(await readFile(file, 'utf8')) as { me: unknown }).me, null);
  });
});
