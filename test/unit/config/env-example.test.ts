import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load-config';

const ROOT = path.resolve(__dirname, '../../..');

/** Set so the reads that depend on them happen too (the database settings are read only with DATABASE_URL). */
const SWITCHES: Readonly<Record<string, string>> = { DATABASE_URL: 'postgres://db.example/wa' };

/** Every name loadConfig looks up, found by handing it an environment that records reads. */
function namesTheConfigReads(): Set<string> {
  const seen = new Set<string>();
  const env = new Proxy<Record<string, string | undefined>>(
    {},
    {
      get(_target, name) {
        if (typeof name !== 'string') return undefined;
        seen.add(name);
        return SWITCHES[name];
      },
    },
  );
  loadConfig(env, { cwd: ROOT });
  return seen;
}

function namesSetInEnvExample(): Set<string> {
  const text = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
  return new Set([...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] ?? ''));
}

// The operator's one reference for configuration: a variable the code reads but the
// example omits is a setting nobody finds; one the example lists but the code ignores is a lie.
describe('.env.example', () => {
  // Read as a fallback of CHROME_PATH and documented in its comment, not as its own line.
  const fallbacksDocumentedInComments = new Set(['PUPPETEER_EXECUTABLE_PATH']);

  it('lists every variable the configuration reads', () => {
    const example = namesSetInEnvExample();
    const missing = [...namesTheConfigReads()].filter((name) => !example.has(name) && !fallbacksDocumentedInComments.has(name));
    assert.deepEqual(missing, []);
  });

  it('lists only variables the configuration reads', () => {
    const read = namesTheConfigReads();
    const unknown = [...namesSetInEnvExample()].filter((name) => !read.has(name));
    assert.deepEqual(unknown, []);
  });

  it('loads as it stands: every example value is valid', () => {
    const text = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const env = Object.fromEntries([...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((match) => [match[1] ?? '', match[2] ?? '']));
    assert.doesNotThrow(() => loadConfig(env, { cwd: ROOT }));
  });
});
