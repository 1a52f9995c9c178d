// The operator's journey in a real browser. Screenshots are saved
// under test-artifacts/e2e/ (ignored by git; CI keeps them as artifacts).
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { useScene } from '../support/scene';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { CHROME_PATH, HEADLESS } from '../support/browser';
import { ADMIN_TOKEN, Daemon } from '../support/daemon';
import { attachPhone } from '../support/phone';
import { sample } from '../support/media-samples';

const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts', 'e2e');

/** Reads the QR out of what the page actually shows: a screenshot of the <img>. */
async function decodeShownQr(page: Page): Promise<string> {
  const image = await page.$('#qr-img');
  assert.ok(image, 'the QR image is on the page');
  const shot = PNG.sync.read(Buffer.from(await image.screenshot({ type: 'png' })));
  const code = jsQR(new Uint8ClampedArray(shot.data), shot.width, shot.height);
  assert.ok(code, 'the image on the page decodes as a QR');
  return code.data;
}

async function apiQr(daemon: Daemon): Promise<string> {
  const response = await daemon.request('GET', '/api/qr');
  assert.equal(response.status, 200);
  return (response.body as { qr: string }).qr;
}

describe("the operator's journey in a browser", { timeout: 180_000 }, () => {
  let browser: Browser;
  let page: Page;
  let firstQr = '';

  const scene = useScene(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    scene.daemon = await Daemon.start(scene.sandbox);
    browser = await puppeteer.launch({
      executablePath: CHROME_PATH,
      headless: HEADLESS,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    page = await browser.newPage();
    await page.setViewport({ width: 390, height: 844 });
    // A browser opens /qr with HTTP Basic: any user name, the token as the password.
    await page.authenticate({ username: 'operator', password: ADMIN_TOKEN });
  });
  after(async () => {
    await browser?.close();
  });

  it('opens /qr with the token and sees the QR that /api/qr serves', async () => {
    await scene.daemon.waitFor((s) => s.state === 'qr' && s.hasQr, 'showing a QR');
    const response = await page.goto(scene.daemon.url('/qr'), { waitUntil: 'load' });
    assert.equal(response?.status(), 200);
    await page.waitForSelector('#qr-section:not([hidden]) #qr-img', { timeout: 15_000 });
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('#qr-img');
      return img !== null && img.complete && img.naturalWidth > 0;
    });
    assert.equal(await page.$eval('#state', (el) => el.getAttribute('data-state')), 'qr');
    firstQr = await apiQr(scene.daemon);
    assert.equal(await decodeShownQr(page), firstQr);
    await page.screenshot({ path: path.join(ARTIFACTS, '1-qr.png'), fullPage: true });
  });

  it('the phone scans: the page turns to "connected as ..." without a reload', async () => {
    await page.evaluate(() => {
      (window as unknown as { loadedOnce: boolean }).loadedOnce = true;
    });
    const phone = await attachPhone(scene.daemon);
    await phone.scan({ user: '15550001111', pushname: 'Sim Phone' });
    await phone.detach();
    await page.waitForFunction(() => document.querySelector('#state')?.getAttribute('data-state') === 'ready', {
      timeout: 20_000,
    });
    await page.waitForFunction(() => /connected as Sim Phone/i.test(document.querySelector('#me')?.textContent ?? ''));
    assert.equal(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce), true, 'same document: no reload happened');
    assert.equal(await page.$eval('#qr-section', (el) => el.hasAttribute('hidden')), true, 'the QR is gone');
    await page.screenshot({ path: path.join(ARTIFACTS, '2-connected.png'), fullPage: true });
  });

  it('once paired, the page shows the outbox: a message sent through the API counts as sent', async () => {
    assert.equal(await page.$eval('#outbox-row', (el) => el.hasAttribute('hidden')), false, 'shown once paired');
    await page.waitForFunction(() => /nothing waiting, 0 sent/.test(document.querySelector('#outbox')?.textContent ?? ''), { timeout: 10_000 });
    assert.equal(await page.$eval('#webhooks', (el) => el.textContent), 'not set up (WEBHOOK_URL)');
    const response = await scene.daemon.request('POST', '/api/messages', true, { to: '15550002222', text: 'from the journey' });
    assert.equal(response.status, 202);
    // The daemon counts every 5 s and the page asks every 5 s: within ~10 s the row moves on.
    await page.waitForFunction(() => /nothing waiting, 1 sent/.test(document.querySelector('#outbox')?.textContent ?? ''), { timeout: 20_000 });
    // Files kept are counted beside it.
    assert.equal(await page.$eval('#media-row', (el) => el.hasAttribute('hidden')), false);
    await page.waitForFunction(() => /^0 received kept · 0 files, 0\.0 MiB$/.test(document.querySelector('#media')?.textContent ?? ''), {
      timeout: 10_000,
    });
    const image = await scene.daemon.request('POST', '/api/messages', true, { to: '15550002222', media: { data: sample.png().toString('base64') } });
    assert.equal(image.status, 202);
    await page.waitForFunction(() => /^0 received kept · 1 file, 0\.0 MiB$/.test(document.querySelector('#media')?.textContent ?? ''), {
      timeout: 20_000,
    });
    await page.screenshot({ path: path.join(ARTIFACTS, '2b-outbox.png'), fullPage: true });
  });

  it('the re-pair button asks for confirmation, then leads to a fresh QR', async () => {
    await page.click('#repair');
    await page.waitForSelector('#repair-confirm:not([hidden])');
    await page.screenshot({ path: path.join(ARTIFACTS, '3-confirm.png'), fullPage: true });
    assert.equal((await scene.daemon.status()).state, 'ready', 'nothing happens before the confirmation');
    await page.click('#repair-yes');
    await page.waitForFunction(() => document.querySelector('#state')?.getAttribute('data-state') === 'qr', {
      timeout: 30_000,
    });
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('#qr-img');
      return img !== null && img.complete && img.naturalWidth > 0 && !img.closest('[hidden]');
    });
    const shown = await decodeShownQr(page);
    assert.equal(shown, await apiQr(scene.daemon));
    assert.notEqual(shown, firstQr, 'a fresh QR: new keys in a new profile');
    assert.equal((await scene.daemon.status()).me, null, 'the old pairing is gone');
    await page.screenshot({ path: path.join(ARTIFACTS, '4-fresh-qr.png'), fullPage: true });
  });
});
