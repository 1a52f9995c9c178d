import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { AppError } from '../../../src/common/errors';
import { OutboxSender, type SendingSession } from '../../../src/messaging/outbox-sender';
import type { OutboxStore } from '../../../src/storage/outbox-store';
import { SendPacer } from '../../../src/messaging/send-pacer';
import type { SessionSnapshot } from '../../../src/session/session-state';
import type { WaClient } from '../../../src/whatsapp/wa-client';
import { messageStatusEvent } from '../../../src/webhooks/event-drafts';
import { FakeClock, flush } from '../../support/fake-clock';
import { makeSnapshot } from '../../support/fake-session';
import { FakeWaClient, Journal } from '../../support/fake-wa-client';
import { RecordingLogger } from '../../support/recording-logger';
import { mediaFile } from '../../support/store-contract';
import { eventually } from '../../support/wait';
import { createTestStores, type TestStores } from '../../support/test-messaging';

/** A session the test switches between states; withClient hands out the fake client only while ready. */
class FakeSendingSession implements SendingSession {
  private current: SessionSnapshot = makeSnapshot({ state: 'starting' });
  private readonly listeners = new Set<(snapshot: SessionSnapshot) => void>();
  constructor(readonly client: FakeWaClient) {}
  snapshot(): SessionSnapshot {
    return this.current;
  }
  subscribe(listener: (snapshot: SessionSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(state: SessionSnapshot['state']): void {
    this.current = makeSnapshot({ state });
    for (const listener of this.listeners) listener(this.current);
  }
  async withClient<T>(use: (client: WaClient) => Promise<T>): Promise<T> {
    if (this.current.state !== 'ready') throw new AppError('NOT_READY', 'not ready');
    return use(this.client);
  }
}

const open: TestStores[] = [];
after(() => open.forEach((s) => s.dispose()));

/** The database away (PostgreSQL restarting) for the next `failures` markSent calls. */
function withMarkSentFailing(store: OutboxStore, failing: { failures: number }): OutboxStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (name !== 'markSent' || typeof value !== 'function') return typeof value === 'function' ? (value.bind(target) as unknown) : value;
      return async (...args: Parameters<OutboxStore['markSent']>) => {
        if (failing.failures > 0) {
          failing.failures--;
          throw new AppError('DATABASE_UNAVAILABLE', 'The database is not reachable (connect ECONNREFUSED).');
        }
        return target.markSent(...args);
      };
    },
  });
}

function setup(options: { rate?: number; burst?: number; gap?: number; maxAttempts?: number; markSentFailures?: { failures: number } } = {}) {
  const clock = new FakeClock();
  const stores = createTestStores(clock);
  open.push(stores);
  const store = options.markSentFailures === undefined ? stores.outboxStore : withMarkSentFailing(stores.outboxStore, options.markSentFailures);
  const client = new FakeWaClient(1, new Journal());
  const session = new FakeSendingSession(client);
  const logger = new RecordingLogger();
  const pacer = new SendPacer({
    ratePerMinute: options.rate ?? 600,
    burst: options.burst ?? 100,
    chatGapMs: options.gap ?? 0,
    clock,
    random: () => 0,
  });
  const make = () =>
    new OutboxSender({
      store,
      media: stores.media,
      session,
      pacer,
      clock,
      logger,
      maxAttempts: options.maxAttempts ?? 5,
      random: () => 0.5,
      statusEvents: (record, status, error) => (record.source === 'api' ? [messageStatusEvent(record, status, error, clock.now())] : []),
    });
  const sender = make();
  const queue = async (to: string, text: string, source: 'api' | 'bot' = 'api') => {
    const result = await stores.outbox.accept({ chatId: to, text, replyTo: null }, source);
    sender.kick();
    return result.record.id;
  };
  return { clock, stores, client, session, sender, logger, queue, make };
}

describe('OutboxSender', () => {
  it('waits while the session is not ready, then sends everything, in order per chat', async () => {
    const h = setup();
    await h.sender.start();
    const ids = [await h.queue('a@c.us', 'a1'), await h.queue('b@c.us', 'b1'), await h.queue('a@c.us', 'a2')];
    await flush();
    assert.equal(h.client.sent.length, 0, 'nothing goes out before ready');
    h.session.set('ready');
    await flush(20);
    assert.deepEqual(
      h.client.sent.map((s) => `${s.chatId}:${s.text}`),
      ['a@c.us:a1', 'b@c.us:b1', 'a@c.us:a2'],
    );
    for (const id of ids) {
      const record = await h.stores.outboxStore.get(id);
      assert.deepEqual([record?.status, record?.attempts], ['sent', 1]);
      assert.match(record?.waMessageId ?? '', /^true_/);
    }
  });

  it('paces: the budget holds the rest, and a chat gap holds the next message of that chat only', async () => {
    const h = setup({ rate: 60, burst: 2, gap: 5_000 });
    await h.sender.start();
    h.session.set('ready');
    await h.queue('a@c.us', 'a1');
    await h.queue('a@c.us', 'a2');
    await h.queue('b@c.us', 'b1');
    await h.queue('c@c.us', 'c1');
    await flush(20);
    assert.deepEqual(
      h.client.sent.map((s) => s.text),
      ['a1', 'b1'],
      'a burst of 2; a2 waits for its chat gap',
    );
    await h.clock.advance(1_000);
    assert.deepEqual(
      h.client.sent.map((s) => s.text),
      ['a1', 'b1', 'c1'],
      'one token a second at 60/min',
    );
    await h.clock.advance(3_999);
    assert.equal(h.client.sent.length, 3, 'a2: not before 5 s after a1');
    await h.clock.advance(1);
    assert.deepEqual(
      h.client.sent.map((s) => s.text),
      ['a1', 'b1', 'c1', 'a2'],
    );
  });

  it('asks WhatsApp about a number once a day: a number that was not on WhatsApp is asked again tomorrow', async () => {
    const h = setup();
    h.client.unregistered.add('15559990001');
    await h.sender.start();
    h.session.set('ready');
    const asked = (): number => h.client.calls.filter((c) => c === 'resolveNumber').length;
    await h.queue('15559990001@c.us', 'one');
    await h.queue('15559990001@c.us', 'two');
    await flush(20);
    assert.equal(asked(), 1, 'the answer is remembered');
    h.client.unregistered.delete('15559990001');
    await h.clock.advance(24 * 3_600_000 + 1);
    await h.queue('15559990001@c.us', 'three');
    await flush(20);
    assert.equal(asked(), 2, 'asked again after a day');
    assert.deepEqual(
      h.client.sent.map((s) => s.text),
      ['three'],
      'it joined WhatsApp meanwhile',
    );
  });

  it('a number not on WhatsApp fails at once with NOT_ON_WHATSAPP; the next message of the chat goes on', async () => {
    const h = setup();
    h.client.unregistered.add('15559990000');
    await h.sender.start();
    h.session.set('ready');
    const lost = await h.queue('15559990000@c.us', 'hello?');
    const fine = await h.queue('15550002222@c.us', 'hi');
    await flush(20);
    const record = await h.stores.outboxStore.get(lost);
    assert.deepEqual([record?.status, record?.error?.code], ['failed', 'NOT_ON_WHATSAPP']);
    assert.equal((await h.stores.outboxStore.get(fine))?.status, 'sent');
    const events = (await h.stores.webhooks.due(h.clock.now(), 10)).map((d) => JSON.parse(d.body) as { data: { id: string; status: string } });
    assert.deepEqual(
      events.map((e) => [e.data.id, e.data.status]).sort(),
      [
        [fine, 'sent'],
        [lost, 'failed'],
      ].sort(),
    );
  });

  it('a transient failure retries with backoff (2 s, 4 s, ...), the chat waiting; at the last attempt it fails', async () => {
    const h = setup({ maxAttempts: 3 });
    h.client.sendOutcome = (_chat, text) => (text === 'x' ? { reject: new Error('Evaluation failed: something odd') } : 'resolve');
    await h.sender.start();
    h.session.set('ready');
    const id = await h.queue('a@c.us', 'x');
    const later = await h.queue('a@c.us', 'after it');
    await flush(20);
    let record = await h.stores.outboxStore.get(id);
    assert.deepEqual([record?.status, record?.attempts, record?.error?.code], ['queued', 1, 'SEND_ERROR']);
    assert.equal(record?.nextAttemptAt, h.clock.now() + 2_000);
    await h.clock.advance(2_000);
    record = await h.stores.outboxStore.get(id);
    assert.deepEqual([record?.attempts, record?.nextAttemptAt], [2, h.clock.now() + 4_000]);
    assert.equal((await h.stores.outboxStore.get(later))?.status, 'queued', 'the next message of the chat waits its turn');
    await h.clock.advance(4_000);
    record = await h.stores.outboxStore.get(id);
    assert.deepEqual([record?.status, record?.attempts, record?.error?.code], ['failed', 3, 'SEND_FAILED']);
    await flush(20);
    assert.equal((await h.stores.outboxStore.get(later))?.status, 'sent', 'the chat moves on once its head is done');
  });

  it('a session that stops being ready mid-way: the attempt does not count, the message waits for ready', async () => {
    const h = setup();
    await h.sender.start();
    h.session.set('ready');
    h.client.sendOutcome = () => {
      h.session.set('reconnecting');
      return { reject: new AppError('NOT_READY', 'gone') };
    };
    const id = await h.queue('a@c.us', 'x');
    await flush(20);
    assert.deepEqual([(await h.stores.outboxStore.get(id))?.status, (await h.stores.outboxStore.get(id))?.attempts], ['queued', 0]);
    h.client.sendOutcome = 'resolve';
    h.session.set('ready');
    await flush(20);
    assert.equal((await h.stores.outboxStore.get(id))?.status, 'sent');
  });

  it('after a crash mid-send, the next start sends it again, once more', async () => {
    const h = setup();
    const id = await h.queue('a@c.us', 'x');
    await h.stores.outboxStore.markSending(id);
    const restarted = h.make();
    await restarted.start();
    h.session.set('ready');
    await flush(20);
    const record = await h.stores.outboxStore.get(id);
    assert.deepEqual([record?.status, record?.attempts, h.client.sent.length], ['sent', 2, 1]);
    assert.equal(h.logger.find('warn', /were being sent when the daemon stopped/).length, 1);
  });

  it('a store that takes a few ms to answer (PostgreSQL over the network) still sends: due is judged after the answer', async () => {
    const h = setup({ rate: 30, burst: 3 });
    const slow = new Proxy(h.stores.outboxStore, {
      get(target, name, receiver) {
        const value: unknown = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        if (name !== 'heads') return value.bind(target) as unknown;
        return async (limit: number) => {
          const heads = await target.heads(limit);
          h.clock.elapse(3);
          return heads;
        };
      },
    });
    const sender = new OutboxSender({
      store: slow,
      media: h.stores.media,
      session: h.session,
      pacer: new SendPacer({ ratePerMinute: 30, burst: 3, chatGapMs: 0, clock: h.clock, random: () => 0 }),
      clock: h.clock,
      logger: h.logger,
      maxAttempts: 5,
      statusEvents: () => [],
    });
    await sender.start();
    h.session.set('ready');
    const id = (await h.stores.outbox.accept({ chatId: 'a@c.us', text: 'one', replyTo: null }, 'api')).record.id;
    sender.kick();
    await h.clock.advance(100);
    assert.equal((await h.stores.outboxStore.get(id))?.status, 'sent');
    await sender.stop();
  });

  it('sent while the database is away: recorded as sent once it is back, never sent again; the chat goes on', async () => {
    const failing = { failures: 3 };
    const h = setup({ markSentFailures: failing });
    await h.sender.start();
    h.session.set('ready');
    const first = await h.queue('a@c.us', 'one');
    const second = await h.queue('a@c.us', 'two');
    await flush(20);
    assert.equal(h.client.sent.length, 1, 'WhatsApp took the first');
    assert.equal((await h.stores.outboxStore.get(first))?.status, 'sending');
    await h.clock.advance(5_000);
    assert.deepEqual([(await h.stores.outboxStore.get(first))?.status, (await h.stores.outboxStore.get(first))?.attempts], ['sent', 1]);
    await flush(20);
    assert.equal((await h.stores.outboxStore.get(second))?.status, 'sent');
    assert.deepEqual(
      h.client.sent.map((m) => m.text),
      ['one', 'two'],
      'each once, in order',
    );
    assert.ok(h.logger.find('warn', /was sent, but the database is away/).length >= 1);
  });

  it('the database away for longer: the send stays recorded in memory and is committed first when it returns', async () => {
    const failing = { failures: 1_000 };
    const h = setup({ markSentFailures: failing });
    await h.sender.start();
    h.session.set('ready');
    const first = await h.queue('a@c.us', 'one');
    await h.queue('a@c.us', 'two');
    await h.clock.advance(40_000);
    assert.equal(h.client.sent.length, 1, 'nothing else is sent meanwhile, and nothing twice');
    assert.equal(h.logger.find('error', /was sent but cannot be recorded yet/).length, 1);
    failing.failures = 0;
    await h.clock.advance(10_000);
    await flush(20);
    assert.equal((await h.stores.outboxStore.get(first))?.status, 'sent');
    assert.deepEqual(
      h.client.sent.map((m) => m.text),
      ['one', 'two'],
    );
  });

  it('bot replies are paced and delivered like API sends, but bring no message.status events', async () => {
    const h = setup();
    await h.sender.start();
    h.session.set('ready');
    await h.queue('a@c.us', 'pong', 'bot');
    await flush(20);
    assert.deepEqual(
      h.client.sent.map((s) => s.text),
      ['pong'],
    );
    assert.deepEqual(await h.stores.webhooks.due(h.clock.now(), 10), []);
  });
});

describe('OutboxSender with media', () => {
  it('sends the file from the media store with its caption, options and quote; the text path is not used', async () => {
    const h = setup();
    await h.sender.start();
    h.session.set('ready');
    const file = mediaFile('a pdf of sorts');
    const accepted = await h.stores.outbox.accept(
      { chatId: 'a@c.us', text: 'the caption', replyTo: 'false_a@c.us_ABCDEF123456', media: file },
      'api',
    );
    h.sender.kick();
    // The file is read from disk: real I/O, not only microtasks.
    await eventually(async () => (h.client.sent.length === 1 ? true : undefined), 'the send');
    const [sent] = h.client.sent;
    assert.deepEqual(sent?.file, { bytes: file.bytes, mimetype: 'text/plain', filename: file.facts.filename });
    assert.deepEqual(sent?.mediaOptions, { quotedMessageId: 'false_a@c.us_ABCDEF123456', caption: 'the caption', ...file.facts.options });
    assert.equal((await h.stores.outboxStore.get(accepted.record.id))?.status, 'sent');
  });

  it('a file gone from the store fails the message for good, saying so, and the chat moves on', async () => {
    const h = setup();
    await h.sender.start();
    const file = mediaFile('bytes that will vanish');
    const lost = await h.stores.outbox.accept({ chatId: 'a@c.us', text: '', replyTo: null, media: file }, 'api');
    const next = await h.queue('a@c.us', 'after it');
    h.stores.db.prepare('DELETE FROM media_files').run();
    h.session.set('ready');
    await flush(20);
    const record = await h.stores.outboxStore.get(lost.record.id);
    assert.deepEqual([record?.status, record?.error?.code], ['failed', 'MEDIA_EXPIRED']);
    assert.deepEqual(
      h.client.sent.map((s) => s.text),
      ['after it'],
    );
    assert.equal((await h.stores.outboxStore.get(next))?.status, 'sent');
  });
});
