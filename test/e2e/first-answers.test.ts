// The first answers after a start, asked at the first possible moment with a paired session on
// disk: status never says "nobody is paired" before it has looked, and knows who was paired.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionStatusBody } from '../../src/http/bodies';
import { ADMIN_TOKEN, Daemon } from '../support/daemon';
import { startPairedDaemon } from '../support/phone';
import { useScene } from '../support/scene';
import { sleep } from '../support/wait';

/** Asks status every few milliseconds from spawn; returns the first answer HTTP gives. */
async function firstStatus(daemon: Daemon): Promise<SessionStatusBody> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(daemon.url('/api/session/status'), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return (await res.json()) as SessionStatusBody;
    } catch {
      await sleep(2);
    }
  }
  throw new Error(`no answer within 20 s:\n${daemon.tail()}`);
}

describe('the first answers after a start', { timeout: 180_000 }, () => {
  const scene = useScene();

  it('with a paired session on disk: never "exists: false" or "No session on disk", and `me` from the start', async () => {
    const paired = await startPairedDaemon(scene.sandbox);
    const me = (await paired.status()).me;
    assert.ok(me, 'paired');
    await paired.stop();
    for (let round = 0; round < 4; round++) {
      const daemon = await Daemon.start(scene.sandbox, { waitForHttp: false });
      const first = await firstStatus(daemon);
      assert.notEqual(first.exists, false, `round ${round}: ${JSON.stringify(first)}`);
      assert.doesNotMatch(first.message, /No session on disk/, `round ${round}`);
      assert.deepEqual(first.me, me, `round ${round}: who was paired is known at once`);
      if (first.exists === null) assert.match(first.message, /Checking the saved session/);
      const health = (await (await fetch(daemon.url('/api/health'), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
        session?: { exists: boolean | null };
      };
      assert.notEqual(health.session?.exists, false, `round ${round}: health agrees`);
      await daemon.waitForState('ready');
      assert.equal((await daemon.status()).exists, true);
      await daemon.stop();
    }
  });
});
