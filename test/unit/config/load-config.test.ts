import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/config-error';
import { loadConfig } from '../../../src/config/load-config';

const CWD = '/srv/wa-tether';
const TOKEN = 'a'.repeat(24);
const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

function load(env: Record<string, string | undefined>) {
  return loadConfig(env, { cwd: CWD });
}

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    load(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.equal(error.code, 'CONFIG_INVALID');
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig: defaults', () => {
  it('an empty environment gives the documented defaults, paths resolved against cwd', () => {
    assert.deepEqual(load({}), {
      port: 3000,
      host: '0.0.0.0',
      clientId: 'wa-tether',
      authPath: path.join(CWD, '.wwebjs_auth'),
      sessionDir: path.join(CWD, '.wwebjs_auth', 'session-wa-tether'),
      webCachePath: path.join(CWD, '.wwebjs_cache'),
      webVersion: null,
      webCacheStrict: false,
      webVersionRemotePath: null,
      chromePath: null,
      browserMode: 'shell',
      chromiumArgs: [],
      adminToken: null,
      apiToken: null,
      metricsToken: null,
      logLevel: 'info',
      logFormat: 'pretty',
      qrInLogs: true,
      simulator: false,
      pairingPhoneNumber: null,
      pairingCodeIntervalMs: 180_000,
      takeoverOnConflict: false,
      takeoverTimeoutMs: 0,
      reconnect: { baseMs: 5_000, maxMs: 30_000, maxAttempts: 10 },
      timeouts: { startMs: 120_000, readyMs: 90_000, watchdogIntervalMs: 30_000, watchdogTimeoutMs: 10_000, shutdownMs: 8_000 },
      browserMemoryLimitMb: 0,
      botPrefix: '!',
      botLimits: { perChatPerMinute: 10, globalPerMinute: 60, allowedChats: null, groups: true },
      send: { ratePerMinute: 30, burst: 3, chatGapMs: 1_000, maxAttempts: 5 },
      media: { maxBytes: 16_777_216, urlAllowPrivate: false, retentionMs: 86_400_000 },
      webhooks: {
        urls: [],
        secret: null,
        events: ['message', 'message.status', 'session.status'],
        retryBaseMs: 5_000,
        retryMaxMs: 3_600_000,
        maxAgeMs: 86_400_000,
      },
      database: null,
    });
  });

  it('blank values count as unset', () => {
    const config = load({ PORT: '   ', AUTH_PATH: '', LOG_LEVEL: ' ', ADMIN_TOKEN: '  ' });
    assert.equal(config.port, 3000);
    assert.equal(config.authPath, path.join(CWD, '.wwebjs_auth'));
    assert.equal(config.logLevel, 'info');
    assert.equal(config.adminToken, null);
  });

  it('is pure: it reads the map it is given, not process.env', () => {
    const saved = process.env.PORT;
    process.env.PORT = '4321';
    try {
      assert.equal(load({}).port, 3000);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });
});

describe('loadConfig: every variable', () => {
  const env = {
    PORT: '8080',
    HOST: '127.0.0.1',
    CLIENT_ID: 'My_bot-2',
    AUTH_PATH: '/var/data/auth',
    WEB_CACHE_PATH: 'cache/web',
    WEB_VERSION: '2.3000.1017054665',
    WEB_CACHE_STRICT: 'true',
    WEB_VERSION_REMOTE_PATH: 'https://archive.example/html/{version}.html',
    CHROME_PATH: '/usr/bin/chromium',
    BROWSER_MODE: 'FULL',
    CHROMIUM_ARGS: '  --disable-gpu   --lang=en\n--window-size=800,600 ',
    ADMIN_TOKEN: ` ${TOKEN} `,
    LOG_LEVEL: 'DEBUG',
    LOG_FORMAT: 'json',
    QR_IN_LOGS: 'off',
    TAKEOVER_ON_CONFLICT: 'yes',
    TAKEOVER_TIMEOUT_MS: '1500',
    RECONNECT_BASE_MS: '1000',
    RECONNECT_MAX_MS: '60000',
    RECONNECT_MAX_ATTEMPTS: '0',
    START_TIMEOUT_MS: '60000',
    READY_TIMEOUT_MS: '45000',
    WATCHDOG_INTERVAL_MS: '15000',
    WATCHDOG_TIMEOUT_MS: '5000',
    SHUTDOWN_TIMEOUT_MS: '20000',
    BROWSER_MEMORY_LIMIT_MB: '900',
    BOT_PREFIX: '/',
    BOT_RATE_PER_CHAT_PER_MINUTE: '5',
    BOT_RATE_GLOBAL_PER_MINUTE: '30',
    BOT_ALLOWED_CHATS: '+1 555 000 1111, 120363012345678901@g.us',
    BOT_IN_GROUPS: 'no',
    API_TOKEN: 'b'.repeat(24),
    METRICS_TOKEN: 'm'.repeat(24),
    WA_SIMULATOR: 'yes',
    PAIRING_PHONE_NUMBER: '+1 555 000 1111',
    PAIRING_CODE_INTERVAL_MS: '60000',
    SEND_RATE_PER_MINUTE: '12',
    SEND_CHAT_GAP_MS: '2500',
    MEDIA_MAX_BYTES: '5000000',
    MEDIA_URL_ALLOW_PRIVATE: 'true',
    MEDIA_RETENTION_HOURS: '2',
    WEBHOOK_URL: 'https://app.example/hooks, http://127.0.0.1:8080/in',
    WEBHOOK_SECRET: WEBHOOK_SECRET,
    WEBHOOK_EVENTS: 'message, session.status',
    WEBHOOK_RETRY_BASE_MS: '1000',
    WEBHOOK_RETRY_MAX_MS: '60000',
    WEBHOOK_MAX_AGE_MS: '3600000',
    DATABASE_URL: 'postgres://wa:pw@db.internal:5432/wa',
    SESSION_BACKUP_INTERVAL_MS: '120000',
    LEASE_TTL_MS: '20000',
  };

  it('parses each one', () => {
    assert.deepEqual(load(env), {
      port: 8080,
      host: '127.0.0.1',
      clientId: 'My_bot-2',
      authPath: '/var/data/auth',
      sessionDir: '/var/data/auth/session-My_bot-2',
      webCachePath: path.join(CWD, 'cache/web'),
      webVersion: '2.3000.1017054665',
      webCacheStrict: true,
      webVersionRemotePath: 'https://archive.example/html/{version}.html',
      chromePath: '/usr/bin/chromium',
      browserMode: 'full',
      chromiumArgs: ['--disable-gpu', '--lang=en', '--window-size=800,600'],
      adminToken: TOKEN,
      apiToken: 'b'.repeat(24),
      metricsToken: 'm'.repeat(24),
      logLevel: 'debug',
      logFormat: 'json',
      qrInLogs: false,
      simulator: true,
      pairingPhoneNumber: '15550001111',
      pairingCodeIntervalMs: 60_000,
      takeoverOnConflict: true,
      takeoverTimeoutMs: 1500,
      reconnect: { baseMs: 1000, maxMs: 60000, maxAttempts: 0 },
      timeouts: { startMs: 60000, readyMs: 45000, watchdogIntervalMs: 15000, watchdogTimeoutMs: 5000, shutdownMs: 20000 },
      browserMemoryLimitMb: 900,
      botPrefix: '/',
      botLimits: { perChatPerMinute: 5, globalPerMinute: 30, allowedChats: ['15550001111@c.us', '120363012345678901@g.us'], groups: false },
      send: { ratePerMinute: 12, burst: 2, chatGapMs: 2_500, maxAttempts: 5 },
      media: { maxBytes: 5_000_000, urlAllowPrivate: true, retentionMs: 2 * 3_600_000 },
      webhooks: {
        urls: ['https://app.example/hooks', 'http://127.0.0.1:8080/in'],
        secret: WEBHOOK_SECRET,
        events: ['message', 'session.status'],
        retryBaseMs: 1_000,
        retryMaxMs: 60_000,
        maxAgeMs: 3_600_000,
      },
      database: { url: 'postgres://wa:pw@db.internal:5432/wa', backupIntervalMs: 120_000, leaseTtlMs: 20_000 },
    });
  });

  it('DATABASE_URL must be a PostgreSQL URL, and the message never repeats it (it may hold a password)', () => {
    for (const bad of ['mysql://u:hunter2@h/db', 'not a url hunter2', 'postgres:///nohost']) {
      assert.throws(
        () => load({ DATABASE_URL: bad }),
        (error: Error) =>
          /DATABASE_URL must be a PostgreSQL URL/.test(error.message) && !error.message.includes('hunter2') && !error.message.includes(bad),
        bad,
      );
    }
    assert.equal(load({ DATABASE_URL: 'postgresql://h/db' }).database?.url, 'postgresql://h/db');
  });

  it('SESSION_BACKUP_INTERVAL_MS is at least a minute; LEASE_TTL_MS at least 3 s', () => {
    assert.throws(
      () => load({ DATABASE_URL: 'postgres://h/db', SESSION_BACKUP_INTERVAL_MS: '59999' }),
      /SESSION_BACKUP_INTERVAL_MS must be a whole number from 60000/,
    );
    assert.throws(() => load({ DATABASE_URL: 'postgres://h/db', LEASE_TTL_MS: '2999' }), /LEASE_TTL_MS must be a whole number from 3000/);
  });

  it('booleans accept 1/0, true/false, yes/no, on/off in any case', () => {
    for (const yes of ['1', 'true', 'TRUE', 'yes', 'On']) assert.equal(load({ TAKEOVER_ON_CONFLICT: yes }).takeoverOnConflict, true, yes);
    for (const no of ['0', 'false', 'No', 'OFF']) assert.equal(load({ QR_IN_LOGS: no }).qrInLogs, false, no);
  });

  it('CHROME_PATH wins over PUPPETEER_EXECUTABLE_PATH; the latter is used alone', () => {
    assert.equal(load({ CHROME_PATH: '/a/chrome', PUPPETEER_EXECUTABLE_PATH: '/b/chrome' }).chromePath, '/a/chrome');
    assert.equal(load({ PUPPETEER_EXECUTABLE_PATH: '/b/chrome' }).chromePath, '/b/chrome');
  });

  it('CHROMIUM_ARGS is split on any whitespace, empty pieces dropped', () => {
    assert.deepEqual(load({ CHROMIUM_ARGS: '--a\t--b  --c=1 2' }).chromiumArgs, ['--a', '--b', '--c=1', '2']);
  });

  it('the result is frozen all the way down', () => {
    const config = load(env);
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.reconnect));
    assert.ok(Object.isFrozen(config.timeouts));
    assert.ok(Object.isFrozen(config.chromiumArgs));
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
    assert.throws(() => {
      (config.reconnect as { maxMs: number }).maxMs = 1;
    }, TypeError);
    assert.throws(() => (config.chromiumArgs as string[]).push('--x'), TypeError);
  });
});

describe('loadConfig: problems', () => {
  it('lists every problem at once, each naming its variable and saying what is valid or how to fix it', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      CLIENT_ID: 'my bot!',
      ADMIN_TOKEN: 'short',
      LOG_LEVEL: 'verbose',
      LOG_FORMAT: 'xml',
      WEB_CACHE_STRICT: 'maybe',
      WEB_VERSION: 'latest',
      RECONNECT_BASE_MS: '-5',
      WATCHDOG_INTERVAL_MS: '1.5',
      SHUTDOWN_TIMEOUT_MS: '120000',
    });
    const names = [
      'PORT',
      'CLIENT_ID',
      'ADMIN_TOKEN',
      'LOG_LEVEL',
      'LOG_FORMAT',
      'WEB_CACHE_STRICT',
      'WEB_VERSION',
      'RECONNECT_BASE_MS',
      'WATCHDOG_INTERVAL_MS',
      'SHUTDOWN_TIMEOUT_MS',
    ];
    assert.equal(problems.length, names.length, problems.join('\n'));
    for (const name of names) {
      const problem = problems.find((p) => p.startsWith(name));
      assert.ok(problem, `a problem about ${name} in:\n${problems.join('\n')}`);
      assert.match(problem, /To resolve|from -?\d+ to \d+|one of |true or false/, `how to fix ${name}: "${problem}"`);
    }
  });

  it('the ConfigError message carries every problem, one per line', () => {
    try {
      load({ PORT: 'x', LOG_LEVEL: 'loud' });
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message.split('\n').filter((line) => line.startsWith('  - ')).length, 2);
      assert.match(error.message, /PORT/);
      assert.match(error.message, /LOG_LEVEL/);
    }
  });

  it('WEB_VERSION is anchored at both ends: digits and dots, optionally -alpha or -beta', () => {
    for (const good of ['2.3000.1017054665', '2.2412.54', '2.3000.1023223821-alpha', '2.3000.1-beta']) {
      assert.equal(load({ WEB_VERSION: good }).webVersion, good, good);
    }
    for (const bad of ['2.3000.1017054665; rm -rf /', '2.3000', '2.3000.1017054665-sim', 'v2.3000.1', '2.3000.1/../x']) {
      assert.equal(problemsOf({ WEB_VERSION: bad }).length, 1, bad);
    }
  });

  it('WEB_VERSION_REMOTE_PATH is an http(s) URL with {version}, and needs WEB_VERSION', () => {
    const version = '2.3000.1017054665';
    assert.equal(
      load({ WEB_VERSION: version, WEB_VERSION_REMOTE_PATH: 'http://127.0.0.1:8080/{version}.html' }).webVersionRemotePath,
      'http://127.0.0.1:8080/{version}.html',
    );
    assert.match(problemsOf({ WEB_VERSION: version, WEB_VERSION_REMOTE_PATH: 'https://archive.example/latest.html' }).join(), /\{version\}/);
    assert.match(problemsOf({ WEB_VERSION: version, WEB_VERSION_REMOTE_PATH: 'file:///etc/{version}' }).join(), /http\(s\) URL/);
    assert.match(problemsOf({ WEB_VERSION_REMOTE_PATH: 'https://archive.example/{version}.html' }).join(), /needs WEB_VERSION/);
  });

  it('webhooks: every URL http(s), a whsec_ secret of 24-64 bytes whenever there is a URL, known events only', () => {
    assert.match(problemsOf({ WEBHOOK_URL: 'ftp://x.example/in', WEBHOOK_SECRET }).join(), /not an http\(s\) URL/);
    assert.match(problemsOf({ WEBHOOK_URL: 'https://x.example/in' }).join(), /WEBHOOK_SECRET is not/);
    assert.match(problemsOf({ WEBHOOK_SECRET: 'supersecretvalue' }).join(), /whsec_/);
    assert.match(problemsOf({ WEBHOOK_SECRET: `whsec_${Buffer.alloc(8).toString('base64')}` }).join(), /24 to 64/);
    assert.match(problemsOf({ WEBHOOK_EVENTS: 'message, message.deleted' }).join(), /message\.deleted/);
    assert.match(problemsOf({ WEBHOOK_RETRY_BASE_MS: '10000', WEBHOOK_RETRY_MAX_MS: '5000' }).join(), /must not be below/);
    assert.deepEqual(load({ WEBHOOK_SECRET }).webhooks.urls, [], 'a secret alone is fine (no webhooks yet)');
  });

  it('API_TOKEN: at least 16 characters, and never the admin token', () => {
    assert.match(problemsOf({ API_TOKEN: 'short' }).join(), /API_TOKEN must be at least 16/);
    assert.match(problemsOf({ ADMIN_TOKEN: TOKEN, API_TOKEN: TOKEN }).join(), /must differ from ADMIN_TOKEN/);
  });

  it('PAIRING_PHONE_NUMBER: a phone number with its country code, said how to fix otherwise', () => {
    for (const bad of ['abc', '0123456789', '12345', '+1 555 000 1111 222 333']) {
      assert.match(
        problemsOf({ PAIRING_PHONE_NUMBER: bad }).join(),
        /PAIRING_PHONE_NUMBER must be the account's phone number with its country code/,
        bad,
      );
    }
    assert.equal(load({ PAIRING_PHONE_NUMBER: '+62 812-3456-7890' }).pairingPhoneNumber, '6281234567890');
  });

  it('METRICS_TOKEN: at least 16 characters, and neither of the other tokens', () => {
    assert.match(problemsOf({ METRICS_TOKEN: 'short' }).join(), /METRICS_TOKEN must be at least 16/);
    assert.match(problemsOf({ ADMIN_TOKEN: TOKEN, METRICS_TOKEN: TOKEN }).join(), /METRICS_TOKEN must differ/);
    assert.match(problemsOf({ API_TOKEN: 'c'.repeat(20), METRICS_TOKEN: 'c'.repeat(20) }).join(), /METRICS_TOKEN must differ/);
    assert.equal(load({ METRICS_TOKEN: 'm'.repeat(20) }).metricsToken, 'm'.repeat(20));
  });

  it('PORT must be a whole number in 0..65535', () => {
    for (const bad of ['-1', '65536', '3000.5', '3e3', '0x50', '80 80']) {
      assert.equal(problemsOf({ PORT: bad }).length, 1, bad);
    }
    assert.equal(load({ PORT: '0' }).port, 0);
    assert.equal(load({ PORT: '65535' }).port, 65535);
  });

  it('CLIENT_ID must match ^[-_\\w]+$', () => {
    for (const good of ['a', 'A_b-9', '___', '-']) assert.equal(load({ CLIENT_ID: good }).clientId, good);
    for (const bad of ['a b', 'a/b', '../up', 'a.b', 'é', 'x;rm']) {
      const problems = problemsOf({ CLIENT_ID: bad });
      assert.equal(problems.length, 1, bad);
      assert.match(problems[0] ?? '', /CLIENT_ID.*To resolve/);
    }
  });

  it('an ADMIN_TOKEN shorter than 16 characters is rejected, without echoing it', () => {
    const problems = problemsOf({ ADMIN_TOKEN: 'secret-15-chars' });
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /ADMIN_TOKEN.*16/);
    assert.match(problems[0] ?? '', /openssl rand/);
    assert.ok(!problems[0]?.includes('secret-15-chars'), 'the token must not be printed');
    assert.equal(load({ ADMIN_TOKEN: 'x'.repeat(16) }).adminToken, 'x'.repeat(16));
  });

  it('RECONNECT_MAX_MS below RECONNECT_BASE_MS is a problem', () => {
    const problems = problemsOf({ RECONNECT_BASE_MS: '10000', RECONNECT_MAX_MS: '5000' });
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /RECONNECT_MAX_MS.*RECONNECT_BASE_MS/);
  });

  it('timings below their minimum are problems', () => {
    const problems = problemsOf({ RECONNECT_BASE_MS: '10', WATCHDOG_INTERVAL_MS: '10', START_TIMEOUT_MS: '10', SHUTDOWN_TIMEOUT_MS: '10' });
    assert.equal(problems.length, 4, problems.join('\n'));
  });
});
