import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SendPacer } from '../../../src/messaging/send-pacer';
import { FakeClock } from '../../support/fake-clock';

function pacer(options: { rate?: number; burst?: number; gap?: number; random?: () => number } = {}) {
  const clock = new FakeClock();
  const p = new SendPacer({
    ratePerMinute: options.rate ?? 30,
    burst: options.burst ?? 3,
    chatGapMs: options.gap ?? 1_000,
    clock,
    random: options.random ?? (() => 0),
  });
  return { p, clock };
}

describe('SendPacer', () => {
  it('lets a burst go at once, then one message per 60/rate seconds', async () => {
    const { p, clock } = pacer({ rate: 30, burst: 3, gap: 0 });
    const start = clock.now();
    for (let i = 0; i < 3; i++) {
      assert.equal(p.readyAt(`chat${i}`), start, `message ${i + 1} of the burst`);
      p.take(`chat${i}`);
    }
    assert.equal(p.readyAt('chat9'), start + 2_000, 'the fourth waits for a token: 2 s at 30/min');
    await clock.advance(2_000);
    assert.equal(p.readyAt('chat9'), clock.now());
    p.take('chat9');
    assert.equal(p.readyAt('chatX'), clock.now() + 2_000);
  });

  it('never lets more than rate x minutes + burst go over a long stretch', async () => {
    const { p, clock } = pacer({ rate: 60, burst: 5, gap: 0 });
    let sent = 0;
    const end = clock.now() + 10 * 60_000;
    while (clock.now() < end) {
      const at = p.readyAt(`c${sent}`);
      if (at > clock.now()) await clock.advance(at - clock.now());
      if (clock.now() >= end) break;
      p.take(`c${sent++}`);
    }
    assert.ok(sent <= 60 * 10 + 5, `${sent} sent in 10 minutes at 60/min`);
    assert.ok(sent >= 60 * 10 - 1, `${sent} sent: the budget is used, not wasted`);
  });

  it('keeps a gap between two messages to the same chat, 0-50% longer at random; other chats are not held up', async () => {
    const { p, clock } = pacer({ rate: 600, burst: 10, gap: 1_000, random: () => 1 });
    p.take('a');
    assert.equal(p.readyAt('a'), clock.now() + 1_500, 'gap 1000 ms, +50% jitter');
    assert.equal(p.readyAt('b'), clock.now(), 'another chat may go now');
    const low = pacer({ gap: 1_000, random: () => 0 });
    low.p.take('a');
    assert.equal(low.p.readyAt('a'), low.clock.now() + 1_000);
  });
});
