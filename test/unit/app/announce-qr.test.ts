import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import winston from 'winston';
import { createQrAnnouncer } from '../../../src/app/announce-qr';
import { createLogger } from '../../../src/logging/create-logger';
import { LiveSecrets } from '../../../src/logging/live-secrets';

const QR = { payload: '2@liveQrPayload0123456789,noiseKeyB64=,identityKeyB64=,advSecretB64=,WEB', issuedAt: new Date(0) };

/** The daemon's own logger, writing JSON lines into `out`. */
function capture(secrets: LiveSecrets): { logger: ReturnType<typeof createLogger>; out: string[] } {
  const out: string[] = [];
  const logger = createLogger({ level: 'debug', format: 'json', secrets: () => secrets.list() });
  logger.clear();
  logger.add(new winston.transports.Stream({ stream: new Writable({ write: (chunk, _enc, done) => (out.push(String(chunk)), done()) }) }));
  return { logger, out };
}

describe('createQrAnnouncer', () => {
  it('makes each new QR payload a secret the logger redacts from then on', async () => {
    const secrets = new LiveSecrets(['admin-token-0123456789']);
    const { logger, out } = capture(secrets);
    const announce = createQrAnnouncer({ secrets, logger, printToLog: false });

    logger.info(`before: ${QR.payload}`);
    announce(QR);
    logger.info(`after: ${QR.payload}`, { detail: { nested: QR.payload } });
    await new Promise((resolve) => setImmediate(resolve));

    assert.match(out[0] ?? '', /liveQrPayload/, 'not a secret before it was announced (the control)');
    assert.doesNotMatch(out[1] ?? '', /liveQrPayload/, 'redacted in the message and in fields once announced');
    assert.match(out[1] ?? '', /\[redacted\]/);
  });

  it('a newer QR replaces the older one as the live secret', () => {
    const secrets = new LiveSecrets([]);
    const announce = createQrAnnouncer({ secrets, logger: capture(secrets).logger, printToLog: false });
    announce(QR);
    announce({ payload: '2@theNextQrPayload987654321,a=,b=,c=,WEB', issuedAt: new Date(1) });
    assert.deepEqual(secrets.list(), ['2@theNextQrPayload987654321,a=,b=,c=,WEB']);
  });

  it('with printToLog, the log shows a terminal QR, never the payload text', async () => {
    const secrets = new LiveSecrets([]);
    const { logger, out } = capture(secrets);
    createQrAnnouncer({ secrets, logger, printToLog: true })(QR);
    for (let i = 0; i < 50 && out.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(out.length, 1);
    assert.match(out[0] ?? '', /Scan this QR/);
    assert.doesNotMatch(out[0] ?? '', /liveQrPayload/);
  });
});

describe('LiveSecrets', () => {
  it('lists the configured secrets and the live QR and pairing code, skipping short or missing ones', () => {
    const secrets = new LiveSecrets(['admin-token-0123456789', null, undefined, 'short']);
    assert.deepEqual(secrets.list(), ['admin-token-0123456789']);
    secrets.setQr('2@qr-payload-long-enough');
    secrets.setPairingCode('ABCD1234');
    assert.deepEqual(secrets.list(), ['admin-token-0123456789', '2@qr-payload-long-enough', 'ABCD1234']);
    secrets.setQr(null);
    assert.deepEqual(secrets.list(), ['admin-token-0123456789', 'ABCD1234']);
  });
});
