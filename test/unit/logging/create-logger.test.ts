import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import winston from 'winston';
import { createLogger, type LoggerOptions } from '../../../src/logging/create-logger';
import { flush } from '../../support/fake-clock';

const TOKEN = 'adm_7f3c9a1e5b2d4c6e8f0a';
const QR = '2@Zm9vYmFyYmF6cXV4,c2VjcmV0LWtleS1tYXRlcmlhbA==,more';

/** The logger with its Console transport swapped for one that keeps the formatted lines. */
function capture(options: Partial<LoggerOptions> = {}) {
  const logger = createLogger({ level: 'debug', format: 'json', secrets: () => [TOKEN], ...options });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((l) => l.length > 0),
      );
      done();
    },
  });
  logger.clear();
  logger.add(new winston.transports.Stream({ stream: sink }));
  return {
    logger,
    lines,
    output: async (): Promise<string> => {
      await flush();
      return lines.join('\n');
    },
  };
}

function assertNoSecrets(output: string, ...secrets: string[]): void {
  for (const secret of secrets) assert.ok(!output.includes(secret), `"${secret}" leaked into: ${output}`);
}

for (const format of ['json', 'pretty'] as const) {
  describe(`createLogger (${format})`, () => {
    it('redacts configured secrets in the message and in any field', async () => {
      const { logger, output } = capture({ format });
      logger.info(`Bearer ${TOKEN} rejected`, {
        header: `Bearer ${TOKEN}`,
        nested: { list: [`x${TOKEN}x`] },
        error: new Error(`token ${TOKEN} invalid`),
        port: 3000,
      });
      const out = await output();
      assertNoSecrets(out, TOKEN);
      assert.match(out, /\[redacted\]/);
      assert.match(out, /rejected/);
      assert.match(out, /3000/, 'other fields are kept');
    });

    it('redacts secret-named keys, top level, nested and in child scopes', async () => {
      const { logger, output } = capture({ format });
      logger.warn('login', { token: 'plain-token-value', authorization: 'Basic dXNlcjpwYXNz', body: { password: 'hunter2hunter2' }, qr: QR });
      logger.child({ component: 'http', cookie: 'sid=abcdef123456' }).info('request');
      const out = await output();
      assertNoSecrets(out, 'plain-token-value', 'dXNlcjpwYXNz', 'hunter2hunter2', QR, 'sid=abcdef123456');
      assert.match(out, /http/);
    });

    it('reads secrets() at every call: a QR issued later is redacted from then on', async () => {
      let qr: string | null = null;
      const { logger, output } = capture({ format, secrets: () => [TOKEN, ...(qr ? [qr] : [])] });
      qr = QR;
      logger.info(`Scan ${QR}`);
      assertNoSecrets(await output(), QR);
    });

    it('an Error logged as the message does not leak a secret', async () => {
      const { logger, output } = capture({ format });
      logger.error(new Error(`launch failed with token ${TOKEN}`) as unknown as string);
      assertNoSecrets(await output(), TOKEN);
    });

    it('honours the level', async () => {
      const { logger, output } = capture({ format, level: 'warn' });
      logger.info('quiet-info');
      logger.debug('quiet-debug');
      logger.warn('loud-warn');
      const out = await output();
      assert.ok(!out.includes('quiet-'));
      assert.match(out, /loud-warn/);
    });
  });
}

describe('createLogger output shape', () => {
  it('json: one JSON object per line with level, message, timestamp and the scope', async () => {
    const { logger, lines } = capture({ format: 'json' });
    logger.child({ component: 'session' }).info('Session starting -> qr', { attempt: 2 });
    await flush();
    assert.equal(lines.length, 1);
    const record = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.equal(record.level, 'info');
    assert.equal(record.message, 'Session starting -> qr');
    assert.equal(record.component, 'session');
    assert.equal(record.attempt, 2);
    assert.ok(!Number.isNaN(Date.parse(String(record.timestamp))));
  });

  it('pretty: "<time> <level> [component]: message {meta}"', async () => {
    const { logger, lines } = capture({ format: 'pretty' });
    logger.child({ component: 'bot' }).warn('Command !x failed', { error: 'boom' });
    await flush();
    assert.match(lines[0] ?? '', /^\S+Z warn \[bot\]: Command !x failed \{"error":"boom"\}$/);
  });

  it('the real Console transport writes redacted lines to stdout', async () => {
    const logger = createLogger({ level: 'info', format: 'json', secrets: () => [TOKEN] });
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    const capture = (chunk: string | Uint8Array): boolean => {
      written.push(chunk.toString());
      return true;
    };
    process.stdout.write = capture;
    try {
      logger.info(`stdout check ${TOKEN}`, { token: 'stdout-token-value' });
      await flush(1);
    } finally {
      process.stdout.write = original;
    }
    const out = written.join('');
    assert.match(out, /stdout check \[redacted\]/);
    assertNoSecrets(out, TOKEN, 'stdout-token-value');
  });
});
