import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createShutdown, type ShutdownSteps } from '../../../src/app/shutdown';
import { deferred, never } from '../../support/deferred';
import { FakeClock, flush } from '../../support/fake-clock';
import { RecordingLogger } from '../../support/recording-logger';

function setup(overrides: Partial<ShutdownSteps> = {}, exitCode = 0) {
  const order: string[] = [];
  const exits: number[] = [];
  const clock = new FakeClock();
  const logger = new RecordingLogger();
  const steps: ShutdownSteps = {
    closeHttp: () => void order.push('closeHttp'),
    stopBackground: () => void order.push('stopBackground'),
    stopMessaging: async () => void order.push('stopMessaging'),
    stopSession: async () => void order.push('stopSession'),
    closeStorage: () => void order.push('closeStorage'),
    releaseLock: async () => void order.push('releaseLock'),
    flushLogs: async () => void order.push('flushLogs'),
    ...overrides,
  };
  const shutdown = createShutdown({ steps, logger, clock, timeoutMs: 8_000, exit: (code) => void exits.push(code), exitCode: () => exitCode });
  return { shutdown, order, exits, clock, logger };
}

describe('createShutdown', () => {
  it('stops in reverse order of start, flushes the log last, then exits 0', async () => {
    const { shutdown, order, exits, logger } = setup();
    shutdown('SIGTERM');
    await flush();
    assert.deepEqual(order, ['closeHttp', 'stopBackground', 'stopMessaging', 'stopSession', 'closeStorage', 'releaseLock', 'flushLogs']);
    assert.deepEqual(exits, [0]);
    assert.equal(logger.find('info', /SIGTERM received/).length, 1);
    assert.equal(logger.find('info', /^Stopped$/).length, 1);
  });

  it('runs once: a second signal during the shutdown changes nothing', async () => {
    const gate = deferred<void>();
    const { shutdown, order, exits } = setup({ stopSession: () => gate.promise });
    shutdown('SIGTERM');
    shutdown('SIGINT');
    gate.resolve();
    await flush();
    assert.equal(order.filter((s) => s === 'closeHttp').length, 1);
    assert.deepEqual(exits, [0]);
  });

  it('a failing step is logged and the next ones still run', async () => {
    const { shutdown, order, exits, logger } = setup({
      closeHttp: () => {
        throw new Error('server not running');
      },
      stopSession: async () => {
        throw new Error('destroy failed');
      },
      releaseLock: async () => {
        throw new Error('EACCES');
      },
    });
    shutdown('SIGTERM');
    await flush();
    assert.deepEqual(order, ['stopBackground', 'stopMessaging', 'closeStorage', 'flushLogs']);
    assert.deepEqual(exits, [0]);
    assert.equal(logger.at('error').length, 2);
    assert.equal(logger.at('warn').length, 1);
  });

  it('a session that never stops: exit 1 at the deadline, whatever is still running', async () => {
    const { shutdown, exits, clock, logger } = setup({ stopSession: () => never() });
    shutdown('SIGTERM');
    await clock.advance(7_999);
    assert.deepEqual(exits, []);
    await clock.advance(1);
    assert.deepEqual(exits, [1]);
    assert.equal(logger.find('error', /longer than 8000 ms/).length, 1);
  });

  it('keeps a non-zero exit code (after a crash) so a process manager restarts', async () => {
    const { shutdown, exits } = setup({}, 1);
    shutdown('uncaught exception');
    await flush();
    assert.deepEqual(exits, [1]);
  });

  it('a log that never finishes flushing holds the exit at most 200 ms', async () => {
    const { shutdown, exits, clock } = setup({ flushLogs: () => never() });
    shutdown('SIGTERM');
    await flush();
    assert.deepEqual(exits, []);
    await clock.advance(200);
    assert.deepEqual(exits, [0]);
  });
});
