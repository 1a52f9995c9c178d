// Demo mode as a newcomer meets it: the real daemon, library and Chromium on the simulated
// WhatsApp Web (WA_SIMULATOR=true), driven from the simulated phone page in a real browser,
// with /qr open beside it: pair, !ping -> pong, a remote logout, a re-pair, a dropped connection.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { endProcesses, findProfileProcesses } from '../../src/chromium/chromium-processes';
import { CHROME_PATH, HEADLESS } from '../support/browser';
import { ADMIN_TOKEN, CLIENT_ID, Daemon } from '../support/daemon';
import { useScene } from '../support/scene';
import { eventually, sleep, withTimeout } from '../support/wait';

/** The text of `selector` on `page`, once `accept` holds for it. */
async function textOf(page: Page, selector: string, accept: (text: string) => boolean, what: string): Promise<string> {
  return eventually(
    async () => {
      const text = await page.$eval(selector, (el) => el.textContent ?? '').catch(() => '');
      return accept(text) ? text : undefined;
    },
    what,
    30_000,
  );
}

/** What the phone page, the daemon's view of the phone and its log say, for a failure's message. */
async function explain(daemon: Daemon, page: Page): Promise<string> {
  const shown = await withTimeout(
    page.evaluate(() =>
      ['phone-state', 'phone-headline', 'result'].map((id) => `#${id}: ${document.getElementById(id)?.textContent ?? ''}`).join('; '),
    ),
    10_000,
    'the phone page',
  ).catch((error: unknown) => `the page did not answer (${String(error)})`);
  const view = await daemon
    .request('GET', '/demo/api/phone')
    .then(({ status, body }) => `${status} ${JSON.stringify(body)}`)
    .catch((error: unknown) => `no answer (${String(error)})`);
  return `the page: ${shown}\nGET /demo/api/phone: ${view}\nthe daemon:\n${daemon.tail()}`;
}

async function click(page: Page, selector: string, daemon: Daemon): Promise<void> {
  try {
    await page.waitForSelector(`${selector}:not([disabled])`, { timeout: 30_000 });
  } catch (error) {
    throw new Error(`${selector} was not enabled within 30 s (${String(error)})\n${await explain(daemon, page)}`);
  }
  await page.click(selector);
}

/**
 * A phone action from the phone page, as a person does it: click, read the answer, and when it
 * says the simulated phone could not act yet (NOT_READY: "wait ..., then try again") try once
 * more. A second refusal fails the test with the page's message.
 */
async function phoneAction(page: Page, selector: string, daemon: Daemon): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await page.$eval('#result', (el) => el.removeAttribute('data-ok')).catch(() => undefined);
    await click(page, selector, daemon);
    const ok = await eventually(
      async () => (await page.$eval('#result', (el) => el.getAttribute('data-ok')).catch(() => null)) ?? undefined,
      `the answer to ${selector}`,
      30_000,
    );
    if (ok === 'true') return;
    const message = await page.$eval('#result', (el) => el.textContent ?? '');
    if (attempt >= 2) assert.fail(`${selector} refused twice: ${message}`);
    await sleep(2_000);
  }
}

describe('demo mode (WA_SIMULATOR=true) through the phone page', { timeout: 240_000 }, () => {
  let browser: Browser;
  let phone: Page;
  let qr: Page;
  const scene = useScene(async () => {
    // No DevTools port (the harness opens one for the tests' phone): the demo must not need one.
    scene.daemon = await Daemon.start(scene.sandbox, { env: { WA_SIMULATOR: 'true', CHROMIUM_ARGS: '' } });
    browser = await puppeteer.launch({
      executablePath: CHROME_PATH,
      headless: HEADLESS,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    // Each page in a window of its own, as a person puts them side by side. Two tabs of one
    // window would leave one hidden: the full Chromium's headless mode then runs no animation
    // frames there, and puppeteer's waitForSelector and click (which wait for one) hang.
    phone = await browser.newPage({ type: 'window' });
    qr = await browser.newPage({ type: 'window' });
    for (const page of [phone, qr]) await page.authenticate({ username: 'newcomer', password: ADMIN_TOKEN });
  });
  after(async () => {
    await browser?.close();
    // The demo's session has a profile of its own, which the sandbox's clean-up does not know.
    const profile = path.join(scene.sandbox.authPath, `session-${CLIENT_ID}-simulator`);
    await endProcesses(await findProfileProcesses(profile), 2_000);
  });

  it('says plainly that it is a simulation, in the log and every status, on a session of its own', async () => {
    await scene.daemon.waitForState('qr');
    assert.ok(scene.daemon.lines.some((l) => /DEMO MODE \(WA_SIMULATOR=true\): WhatsApp is simulated/.test(l)));
    const health = (await (await fetch(scene.daemon.url('/api/health'))).json()) as Record<string, unknown>;
    assert.equal(health.simulated, true);
    const status = await scene.daemon.status();
    assert.equal(status.simulated, true);
    assert.equal(status.clientId, `${CLIENT_ID}-simulator`);
    assert.match(status.stateMessage, /^Simulated WhatsApp \(demo mode\): /);
    assert.match(status.path, /session-e2e-simulator$/);
    assert.equal(existsSync(path.join(status.path, 'DevToolsActivePort')), false, "the simulated phone uses the daemon's pipe, no port");
  });

  it('pairs from the phone page: /qr shows the QR, then ready', async () => {
    await qr.goto(scene.daemon.url('/qr'), { waitUntil: 'load' });
    await textOf(qr, '#state', (t) => t === 'qr', '/qr shows the QR state');
    assert.equal(await qr.$eval('#simulated', (el) => (el as HTMLElement).hidden), false, 'the demo banner is on /qr');
    await phone.goto(scene.daemon.url('/demo/phone'), { waitUntil: 'load' });
    await textOf(phone, '#phone-headline', (t) => /shows a QR: scan it/.test(t), 'the phone sees the QR');
    await click(phone, '#scan', scene.daemon);
    await textOf(qr, '#state', (t) => t === 'ready', '/qr says ready');
    await textOf(qr, '#me', (t) => /Demo Phone \(\+15550001111\)/.test(t), '/qr names the account');
    await textOf(phone, '#phone-state', (t) => t === 'linked', 'the phone is linked');
  });

  it('!ping from the phone page gets pong from the bot', async () => {
    await phone.type('#text', '!ping');
    await click(phone, '#send', scene.daemon);
    await textOf(phone, '#messages', (t) => t.includes('pong'), 'pong in the conversation');
    const order = await phone.$$eval('#messages li', (items) => items.map((li) => `${li.getAttribute('data-from')}: ${li.textContent}`));
    assert.deepEqual(order.slice(-2), ['you: !ping', 'bot: pong']);
  });

  it('the phone unlinks the bot: /qr shows a fresh QR by itself; scanning again pairs again', async () => {
    await click(phone, '#logout', scene.daemon);
    await textOf(qr, '#state', (t) => t === 'qr', '/qr shows a fresh QR');
    await textOf(qr, '#me', (t) => t === 'Not paired yet', 'nobody paired');
    await textOf(phone, '#phone-headline', (t) => /shows a QR: scan it/.test(t), 'the phone sees the new QR');
    await click(phone, '#scan', scene.daemon);
    await textOf(qr, '#state', (t) => t === 'ready', 'ready again');
    const transitions = scene.daemon.transitions();
    assert.deepEqual(transitions.slice(-5), ['logged_out', 'starting', 'qr', 'authenticated', 'ready'], transitions.join(' '));
  });

  it('a dropped connection: the daemon reconnects with its saved session, no QR', async () => {
    const before = scene.daemon.transitions().length;
    await phoneAction(phone, '#drop', scene.daemon);
    await textOf(qr, '#state', (t) => t === 'ready', 'ready after the reconnect');
    await eventually(async () => (scene.daemon.transitions().slice(before).includes('ready') ? true : undefined), 'a reconnect', 30_000);
    const after = scene.daemon.transitions().slice(before);
    assert.ok(after.includes('reconnecting'), after.join(' '));
    assert.ok(!after.includes('qr'), after.join(' '));
    await textOf(phone, '#phone-state', (t) => t === 'linked', 'still linked');
  });

  it('pairing by code from /qr: the number typed there, the code shown there, typed on the phone, ready', async () => {
    await phoneAction(phone, '#logout', scene.daemon);
    await textOf(qr, '#state', (t) => t === 'qr', 'a fresh QR');
    await qr.waitForSelector('#code-phone', { visible: true });
    await qr.type('#code-phone', '+1 555 000 1111');
    await qr.click('#code-ask');
    const shown = await textOf(qr, '#code-value', (t) => /^[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(t), 'the code on /qr');
    await textOf(qr, '#code-number', (t) => t === '+15550001111', 'for the number typed');
    await textOf(phone, '#phone-headline', (t) => /asks for a pairing code/.test(t), 'the phone is asked for a code');
    await phone.type('#code', shown);
    await click(phone, '#code-enter', scene.daemon);
    await textOf(qr, '#state', (t) => t === 'ready', 'ready by code');
    assert.equal(await qr.$eval('#code-section', (el) => (el as HTMLElement).hidden), true, 'no code once paired');
  });
});
