// The demo's phone page polls the daemon, and the daemon asks the simulated page through
// SimPhone. Puppeteer's evaluate has no deadline of its own: while a page reloads it waits for the
// frame's next execution context, which a page stuck mid-reload never gets. A call that never
// answered held the phone page's request open, and its polling stopped for good.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Browser, Page } from 'puppeteer';
import { DemoPhone } from '../../../src/demo/demo-phone';
import type { Simulator } from '../../../src/demo/simulator-mode';
import { SimPhone } from '../../sim/phone';

/** A browser with one simulated WhatsApp page that says it booted, then never answers again. */
function browserWithAPageThatStopsAnswering(): Browser {
  let calls = 0;
  const page = {
    url: () => 'https://web.whatsapp.com/',
    isClosed: () => false,
    evaluate: () => (calls++ === 0 ? Promise.resolve(true) : new Promise(() => undefined)),
  } as unknown as Page;
  return { connected: true, pages: async () => [page] } as unknown as Browser;
}

describe('SimPhone against a page that stops answering', () => {
  it('a call fails within its own timeout, as a transient miss, instead of waiting for ever', { timeout: 10_000 }, async () => {
    const phone = await SimPhone.onBrowser(browserWithAPageThatStopsAnswering(), { timeoutMs: 400, callTimeoutMs: 400 });
    await assert.rejects(phone.state(), /SimPhone\.state: timed out after 400 ms \(last error: .*page booting/);
  });

  it('a browser whose page list never comes: attaching fails within its timeout', { timeout: 10_000 }, async () => {
    const browser = { connected: true, pages: () => new Promise(() => undefined) } as unknown as Browser;
    await assert.rejects(SimPhone.onBrowser(browser, { timeoutMs: 400 }), /sim page not found within 400 ms/);
  });

  it("the demo's phone view says the page is unreachable, so the phone page's next poll can ask again", { timeout: 20_000 }, async () => {
    const browser = browserWithAPageThatStopsAnswering();
    const demo = new DemoPhone({ SimPhone } as unknown as Simulator, () => browser);
    const view = await demo.view();
    assert.equal(view.reachable, false);
    assert.equal(view.paired, false);
  });
});
