// Finding 2 of the security review: the bot had no rate limit, no concurrency cap and no
// allowlist (2,000 inbound commands gave 2,000 replies, up to 2,000 in flight). The real
// dispatcher and gate, with replies that hang until the test lets them go.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BotGate } from '../../../src/bot/bot-gate';
import { type BotLimits } from '../../../src/config/config';
import { COMMANDS } from '../../../src/bot/commands';
import { createDispatcher } from '../../../src/bot/dispatch-message';
import type { IncomingMessage } from '../../../src/whatsapp/wa-client';
import { deferred } from '../../support/deferred';
import { FakeClock, flush } from '../../support/fake-clock';
import { makeSnapshot } from '../../support/fake-session';
import { RecordingLogger } from '../../support/recording-logger';
import { incomingMessage } from '../../support/incoming-message';

const DEFAULTS: BotLimits = { perChatPerMinute: 10, globalPerMinute: 60, allowedChats: null, groups: true };
const GROUP = '120363000000000001@g.us';

let n = 0;
function ping(chatId: string, clock: FakeClock, overrides: Partial<IncomingMessage> = {}): IncomingMessage {
  const isGroup = chatId.endsWith('@g.us');
  const member = `1555${String(++n).padStart(7, '0')}@c.us`;
  return incomingMessage('!ping', {
    id: `false_${chatId}_${n}`,
    chatId,
    from: isGroup ? member : chatId,
    author: isGroup ? member : null,
    timestamp: Math.floor(clock.now() / 1000),
    ...overrides,
  });
}

function setup(limits: Partial<BotLimits> = {}) {
  const clock = new FakeClock();
  const logger = new RecordingLogger();
  const readyAt = clock.now() - 60_000;
  const gate = new BotGate({ limits: { ...DEFAULTS, ...limits }, clock, logger, readySince: () => readyAt });
  const release = deferred();
  let inFlight = 0;
  let maxInFlight = 0;
  const replies: string[] = [];
  const dispatch = createDispatcher({
    commands: COMMANDS,
    prefix: '!',
    logger,
    gate,
    session: () => makeSnapshot({ state: 'ready' }),
    reply: async (message) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await release.promise;
      inFlight--;
      replies.push(message.chatId);
    },
  });
  return { clock, logger, gate, dispatch, release, replies, stats: () => ({ inFlight, maxInFlight }) };
}

describe('finding 2: the bot under a flood', () => {
  it('1,000 commands in one group and 1,000 from strangers: replies held to the limits, 4 in flight, the rest dropped and counted, one log line', async () => {
    const h = setup();
    const all: Array<Promise<void>> = [];
    for (let i = 0; i < 1_000; i++) all.push(h.dispatch(ping(GROUP, h.clock)));
    for (let i = 0; i < 1_000; i++) all.push(h.dispatch(ping(`1555${String(9_000_000 + i)}@c.us`, h.clock)));
    await flush();
    assert.equal(h.stats().maxInFlight, 4, 'no more than 4 commands run at once');
    h.release.resolve();
    await Promise.all(all);
    const toGroup = h.replies.filter((chat) => chat === GROUP).length;
    assert.equal(toGroup, 10, 'one chat gets its 10 a minute');
    assert.equal(h.replies.length, 60, 'all chats together get 60 a minute');
    assert.equal(h.gate.dropped.rate_chat, 990);
    assert.equal(h.gate.dropped.rate_global, 950);
    assert.equal(h.gate.dropped.rate_chat + h.gate.dropped.rate_global + h.gate.dropped.queue_full + h.replies.length, 2_000);
    assert.equal(h.logger.at('warn').length, 1, 'the first drop is reported at once, the rest wait for the next minute');
    await h.clock.advance(60_000);
    await h.dispatch(ping('15550001111@c.us', h.clock, { timestamp: 1 }));
    assert.equal(h.logger.at('warn').length, 2);
    assert.match(h.logger.at('warn')[1]?.message ?? '', /rate_chat 989, rate_global 950, stale 1/);
  });

  it('the budget refills with time: a chat may run another command after 6 s', async () => {
    const h = setup();
    h.release.resolve();
    for (let i = 0; i < 12; i++) await h.dispatch(ping('15550001111@c.us', h.clock));
    assert.equal(h.replies.length, 10);
    await h.clock.advance(6_000);
    await h.dispatch(ping('15550001111@c.us', h.clock));
    assert.equal(h.replies.length, 11);
  });

  it('a full queue drops the overflow instead of growing', async () => {
    const h = setup({ perChatPerMinute: 600, globalPerMinute: 6_000 });
    const all: Array<Promise<void>> = [];
    for (let i = 0; i < 300; i++) all.push(h.dispatch(ping(`1555${String(8_000_000 + i)}@c.us`, h.clock)));
    await flush();
    assert.equal(h.gate.queued, 100);
    assert.equal(h.gate.dropped.queue_full, 196);
    h.release.resolve();
    await Promise.all(all);
    assert.equal(h.replies.length, 104);
    assert.equal(h.gate.queued, 0);
  });

  it('BOT_ALLOWED_CHATS, BOT_IN_GROUPS=false, and messages from before the last ready', async () => {
    const h = setup({ allowedChats: ['15550001111@c.us', GROUP], groups: false });
    h.release.resolve();
    await h.dispatch(ping('15550001111@c.us', h.clock));
    await h.dispatch(ping('15550002222@c.us', h.clock));
    await h.dispatch(ping(GROUP, h.clock));
    await h.dispatch(ping('15550001111@c.us', h.clock, { timestamp: Math.floor((h.clock.now() - 120_000) / 1000) }));
    assert.deepEqual(h.replies, ['15550001111@c.us']);
    assert.deepEqual({ ...h.gate.dropped }, { not_allowed: 1, group: 1, stale: 1, rate_chat: 0, rate_global: 0, queue_full: 0 });
  });

  it('nothing runs while the session is not ready', async () => {
    const clock = new FakeClock();
    const gate = new BotGate({ limits: DEFAULTS, clock, logger: new RecordingLogger(), readySince: () => null });
    let ran = 0;
    await gate.submit(ping('15550001111@c.us', clock), async () => void ran++);
    assert.equal(ran, 0);
    assert.equal(gate.dropped.stale, 1);
  });
});
