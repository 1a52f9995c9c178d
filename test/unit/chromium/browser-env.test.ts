import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { browserEnvironment } from '../../../src/chromium/browser-env';

describe('browserEnvironment', () => {
  it("keeps what Chromium needs and glibc's malloc tunables; leaves every secret and setting of the daemon out", () => {
    const kept = browserEnvironment({
      PATH: '/usr/bin',
      HOME: '/home/wa',
      LANG: 'C.UTF-8',
      TZ: 'UTC',
      MALLOC_ARENA_MAX: '2',
      ADMIN_TOKEN: 'secret-admin',
      API_TOKEN: 'secret-api',
      WEBHOOK_SECRET: 'whsec_x',
      DATABASE_URL: 'postgres://u:p@h/db',
      AUTH_PATH: '/data',
      NODE_OPTIONS: '--inspect',
      UNSET: undefined,
    });
    assert.deepEqual(kept, { PATH: '/usr/bin', HOME: '/home/wa', LANG: 'C.UTF-8', TZ: 'UTC', MALLOC_ARENA_MAX: '2' });
  });
});
