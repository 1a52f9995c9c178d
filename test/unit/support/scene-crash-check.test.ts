// The e2e scene fails the test during which one of its daemons exited on an uncaught exception,
// once, naming the line; a daemon that logged none passes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Daemon } from '../../support/daemon';
import { Scene } from '../../support/scene';

/** The one thing the check reads of a daemon: its log lines. */
const daemonLogging = (lines: string[]): Daemon => ({ lines, hasExited: true }) as unknown as Daemon;

const CRASH = '{"level":"error","message":"Uncaught exception: exiting so the process manager restarts a clean daemon","error":"write EPIPE"}';

describe("the scene's check for a daemon's crash", () => {
  it('passes while no daemon logged one, fails once for each crash, in the test it happened in', () => {
    const scene = new Scene();
    const first = ['{"level":"info","message":"HTTP listening"}'];
    const second: string[] = [];
    scene.daemon = daemonLogging(first);
    scene.daemon = daemonLogging(second);
    scene.checkNoCrash();

    second.push(CRASH);
    assert.throws(
      () => scene.checkNoCrash(),
      (error: Error) => error.message.includes('write EPIPE'),
    );
    scene.checkNoCrash();

    first.push(CRASH.replace('write EPIPE', 'read ECONNRESET'));
    assert.throws(
      () => scene.checkNoCrash(),
      (error: Error) => error.message.includes('read ECONNRESET') && !error.message.includes('EPIPE'),
    );
  });
});
