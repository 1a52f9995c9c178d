// docs/configuration.md is the operator's table of settings: a variable the loader reads but the
// table omits is a setting nobody finds, one it lists but the loader ignores is a lie, and a
// default or a limit that differs from the loader's is a start that surprises. The loader's names,
// defaults and limits come from the loader itself (test/support/config-variables.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  configVariables,
  DOCUMENTED_IN_EXAMPLE_COMMENTS,
  envExampleValues,
  envFileVariables,
  loaderSettings,
  ROOT,
} from '../../support/config-variables';

interface DocumentedVariable {
  readonly default: string;
  readonly limits: string;
}

/** The rows of the table `| variable | default | limits | meaning |` of docs/configuration.md. */
function documented(): Map<string, DocumentedVariable> {
  const page = readFileSync(path.join(ROOT, 'docs', 'configuration.md'), 'utf8');
  const header = page.indexOf('| variable | default | limits | meaning |');
  assert.ok(header >= 0, 'docs/configuration.md has the table | variable | default | limits | meaning |');
  const rows = new Map<string, DocumentedVariable>();
  for (const line of page.slice(header).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split(' | ');
    const name = /^\| `([A-Z][A-Z0-9_]*)`$/.exec(cells[0]!)?.[1];
    assert.ok(name, `a row that names no variable: ${line.slice(0, 80)}`);
    assert.ok(!rows.has(name), `${name} has two rows`);
    assert.ok(cells.length >= 4, `${name}: the row has no limits or meaning`);
    rows.set(name, { default: cells[1]!.trim(), limits: cells[2]!.trim() });
  }
  return rows;
}

/** A default written as a value (`3000`), or null for a word (unset, auto, empty, all). */
const statedValue = (cell: string): string | null => /^`([^`]*)`$/.exec(cell)?.[1] ?? null;

const sorted = (names: Iterable<string>): string[] => [...names].sort();

describe('docs/configuration.md', () => {
  it('documents exactly the variables the configuration reads', () => {
    assert.deepEqual(sorted(documented().keys()), sorted(configVariables()));
  });

  it('documents DOTENV_CONFIG_PATH, which the env file loader reads', () => {
    assert.ok(envFileVariables().has('DOTENV_CONFIG_PATH'), 'the parse of load-env-file.ts finds it');
    assert.ok(documented().has('DOTENV_CONFIG_PATH'));
  });

  it('and .env.example lists the same set (a line each, or a comment)', () => {
    const example = new Set([...envExampleValues().keys(), ...DOCUMENTED_IN_EXAMPLE_COMMENTS]);
    assert.deepEqual(sorted(example), sorted(documented().keys()));
  });

  it("states the loader's default wherever the loader has one, and none where it has none", () => {
    const docs = documented();
    const wrong: string[] = [];
    for (const [name, setting] of loaderSettings()) {
      const stated = statedValue(docs.get(name)?.default ?? '');
      if (setting.kind === 'raw') {
        if (stated !== null) wrong.push(`${name}: the loader has no default, the doc says \`${stated}\``);
      } else if (stated !== String(setting.fallback)) {
        wrong.push(`${name}: the loader's default is \`${String(setting.fallback)}\`, the doc says ${docs.get(name)?.default}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("gives each number the loader's limits, and each choice the loader's values", () => {
    const docs = documented();
    const wrong: string[] = [];
    for (const [name, setting] of loaderSettings()) {
      const limits = docs.get(name)?.limits ?? '';
      if (setting.kind === 'integer' && !limits.startsWith(`${setting.min}-${setting.max}`)) {
        wrong.push(`${name}: the loader takes ${setting.min}-${setting.max}, the doc says ${limits}`);
      }
      if (setting.kind === 'oneOf') {
        const listed = [...limits.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
        if (sorted(listed).join() !== sorted(setting.allowed).join())
          wrong.push(`${name}: the loader takes ${setting.allowed.join(', ')}, the doc says ${limits}`);
      }
      if (setting.kind === 'boolean' && limits !== 'boolean') wrong.push(`${name}: a boolean, the doc says ${limits}`);
    }
    assert.deepEqual(wrong, []);
  });

  it(".env.example's values are the loader's defaults", () => {
    const example = envExampleValues();
    const wrong: string[] = [];
    for (const [name, setting] of loaderSettings()) {
      const value = example.get(name);
      if (setting.kind === 'raw') {
        if (value !== undefined && value !== '') wrong.push(`${name}=${value}: the loader has no default, so the example leaves it blank`);
      } else if (value !== String(setting.fallback)) {
        wrong.push(`${name}=${value ?? '(no line)'}: the loader's default is ${String(setting.fallback)}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
});
