import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../../src/storage/sqlite/migrations';
import { openDatabase } from '../../../src/storage/sqlite/open-database';
import { FakeClock } from '../../support/fake-clock';
import { mediaStoreContract, msg, outboxStoreContract, webhookStoreContract, type OpenContractStores } from '../../support/store-contract';
import { createTestStores, type TestStores } from '../../support/test-messaging';

const opened: TestStores[] = [];
function stores(clock = new FakeClock()): TestStores & { clock: FakeClock } {
  const s = createTestStores(clock);
  opened.push(s);
  return { ...s, clock };
}
after(() => {
  for (const s of opened) s.dispose();
});

/** Each contract test gets a database file of its own. */
const openContract: OpenContractStores = (routing) => {
  const s = routing ? createTestStores(new FakeClock(), routing) : createTestStores(new FakeClock());
  opened.push(s);
  return Promise.resolve(s);
};

describe('openDatabase', () => {
  it('creates the file 0600, in WAL mode with synchronous FULL, at the latest schema version', () => {
    const s = stores();
    assert.equal(statSync(s.file).mode & 0o777, 0o600);
    assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(s.db.pragma('synchronous', { simple: true }), 2, 'FULL');
    assert.equal(s.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  });

  it('opening again migrates nothing twice, and a file from a newer version is refused with what to do', () => {
    const s = stores();
    s.db.close();
    const again = openDatabase(s.file);
    assert.equal(again.pragma('user_version', { simple: true }), MIGRATIONS.length);
    again.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    again.close();
    assert.throws(() => openDatabase(s.file), /newer than this wa-tether knows.*To resolve/);
  });
});

describe('SqliteOutboxStore', () => {
  it('commits before enqueue resolves: another connection (another process) sees the message at once', async () => {
    const s = stores();
    await s.outboxStore.enqueue(msg('msg_1', '15550001111@c.us', 1));
    const reader = new Database(s.file, { readonly: true });
    try {
      assert.equal((reader.prepare('SELECT status FROM outbox WHERE id = ?').get('msg_1') as { status: string }).status, 'queued');
    } finally {
      reader.close();
    }
  });

  it('an accepted message survives the writer being killed with SIGKILL right after enqueue', async () => {
    const s = stores();
    s.db.close();
    const script = `
      const { openDatabase } = require(${JSON.stringify(require.resolve('../../../src/storage/sqlite/open-database'))});
      const db = openDatabase(${JSON.stringify(s.file)});
      db.prepare("INSERT INTO outbox (id, chat_id, text, source, status, created_at, next_attempt_at) VALUES ('msg_killed', 'x@c.us', 'hi', 'api', 'queued', 1, 1)").run();
      process.stdout.write('committed\\n');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('committed') && resolve()));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    const reopened = openDatabase(s.file);
    try {
      assert.equal((reopened.prepare('SELECT COUNT(*) AS n FROM outbox WHERE id = ?').get('msg_killed') as { n: number }).n, 1);
    } finally {
      reopened.close();
    }
  });

  outboxStoreContract(openContract);
});

describe('SqliteWebhookStore', () => {
  webhookStoreContract(openContract);
});

describe('SqliteMediaStore', () => {
  mediaStoreContract(openContract);
});
