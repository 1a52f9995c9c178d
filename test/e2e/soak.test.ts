// The bounded soak: the long run's life (test/soak, `npm run soak -- --hours 2`) for a minute and
// a half, at the same pace. Too short to read a memory trend from (the 2-hour run and the
// restart test do that); long enough that every kind of reconnect, a receiver outage, files
// both ways and a few hundred messages go through one daemon, and that what it acknowledged
// is all delivered and what it opened is all closed again.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { formatSoak } from '../soak/soak-report';
import { runSoak } from '../soak/soak-run';
import { valueOf } from '../soak/probe';

it(
  'a compressed life of 90 s: nothing lost, every reconnect recovered, no descriptor, handle or listener left open',
  { timeout: 480_000 },
  async (t) => {
    const result = await runSoak({ durationMs: 90_000, sampleEveryMs: 15_000, log: (line) => t.diagnostic(line) });
    const report = formatSoak(result);
    t.diagnostic(report);
    assert.deepEqual(result.violations, [], report);
    assert.deepEqual(result.faultFailures, [], report);
    assert.ok(
      Object.values(result.faults).every((n) => n >= 1),
      `every kind of fault at least once:\n${report}`,
    );
    assert.ok(result.incoming.sent >= 150 && result.incoming.delivered === result.incoming.sent, report);
    assert.ok(result.sends.accepted >= 40 && result.sends.sent === result.sends.accepted, report);
    assert.ok(result.incoming.mediaChecked >= 1, 'a received file was fetched by its url');
    const first = result.samples[0];
    const last = result.samples.at(-1);
    assert.ok(first && last);
    for (const key of ['fds', 'handles', 'listeners'] as const) {
      assert.ok(valueOf(last, key) <= valueOf(first, key) + 3, `${key}: ${valueOf(first, key)} -> ${valueOf(last, key)}\n${report}`);
    }
  },
);
