import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Browser } from 'puppeteer';
import { DEMO_CONTACT, DemoPhone } from '../../../src/demo/demo-phone';
import type { Simulator } from '../../../src/demo/simulator-mode';

/** The simulated page's outbox, as the phone reads it: every reply the bot ever sent. */
function fakeSimulator(outbox: Array<{ id: string; to: string; body: string; at: number }>, browser: Browser): Simulator {
  const phone = {
    connected: true,
    browser,
    state: async () => ({
      paired: true,
      socketState: 'CONNECTED',
      pairingType: null,
      qrRef: null,
      me: { user: '15550001111', pushname: 'Demo Phone' },
    }),
    outbox: async () => outbox,
    detach: async () => undefined,
  };
  return { SimPhone: { onBrowser: async () => phone } } as unknown as Simulator;
}

describe('DemoPhone', () => {
  it('shows the last 200 messages of a long conversation, and remembers no more than it shows', async () => {
    const outbox = Array.from({ length: 300 }, (_, i) => ({ id: `bot-${i}`, to: `${DEMO_CONTACT}@c.us`, body: `pong ${i}`, at: 1_000 + i }));
    const browser = {} as Browser;
    const demo = new DemoPhone(fakeSimulator(outbox, browser), () => browser);
    const first = await demo.view();
    assert.deepEqual([first.messages.length, first.messages[0]?.text, first.messages.at(-1)?.text], [200, 'pong 100', 'pong 299']);
    outbox.push(
      ...Array.from({ length: 50 }, (_, i) => ({ id: `bot-${300 + i}`, to: `${DEMO_CONTACT}@c.us`, body: `pong ${300 + i}`, at: 2_000 + i })),
    );
    const second = await demo.view();
    assert.deepEqual([second.messages.length, second.messages[0]?.text], [200, 'pong 150'], 'the dropped ones do not come back');
    const seen = (demo as unknown as { seen: Set<string> }).seen;
    assert.equal(seen.size, 200, 'the ids remembered are those shown');
  });
});
