// The README is a front door to docs/: a link that leads nowhere, or to a heading that was
// renamed, is a reader lost. Every relative link of README.md, SECURITY.md and docs/*.md must
// name a file that exists, and every #anchor (same page or another) a heading of its target,
// slugged as GitHub slugs it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..', '..');

const PAGES: readonly string[] = [
  'README.md',
  'SECURITY.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

/** The page without its fenced code blocks (a `# comment` in a shell block is no heading). */
function prose(markdown: string): string[] {
  const lines: string[] = [];
  let fence: string | null = null;
  for (const line of markdown.split('\n')) {
    const opening = /^\s*(```|~~~)/.exec(line);
    if (opening) {
      if (fence === null) fence = opening[1]!;
      else if (line.trim().startsWith(fence)) fence = null;
      lines.push('');
      continue;
    }
    lines.push(fence === null ? line : '');
  }
  return lines;
}

/** GitHub's slug of a heading's text: lowercase, punctuation but - and _ dropped, spaces to -. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text only
    .replace(/<[^>]+>/g, '') // inline HTML
    .replace(/[`*]/g, ''); // code and emphasis marks
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor a page has: its headings' slugs, a repeated slug numbered -1, -2, ... */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of prose(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** The targets of the page's inline links, code spans and code blocks left out. */
export function links(markdown: string): string[] {
  const found: string[] = [];
  for (const line of prose(markdown)) {
    const text = line.replace(/`[^`]*`/g, '');
    for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) found.push(match[1]!);
  }
  return found;
}

const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** What is wrong with each link of `page`, as `target: why`. */
function deadLinks(page: string): string[] {
  const problems: string[] = [];
  const markdown = readFileSync(path.join(ROOT, page), 'utf8');
  for (const target of links(markdown)) {
    if (isExternal(target)) continue;
    const hash = target.indexOf('#');
    const file = hash === -1 ? target : target.slice(0, hash);
    const anchor = hash === -1 ? null : decodeURIComponent(target.slice(hash + 1));
    const resolved = file === '' ? path.join(ROOT, page) : path.resolve(path.dirname(path.join(ROOT, page)), decodeURIComponent(file));
    if (!resolved.startsWith(ROOT + path.sep)) {
      problems.push(`${target}: outside the repository`);
      continue;
    }
    if (!existsSync(resolved)) {
      problems.push(`${target}: no such file (${path.relative(ROOT, resolved)})`);
      continue;
    }
    if (anchor === null) continue;
    if (!resolved.endsWith('.md')) {
      problems.push(`${target}: an anchor into a file that is not markdown`);
      continue;
    }
    if (!anchors(readFileSync(resolved, 'utf8')).has(anchor)) {
      problems.push(`${target}: no heading "#${anchor}" in ${path.relative(ROOT, resolved)}`);
    }
  }
  return problems;
}

describe('links in the documentation', () => {
  for (const page of PAGES) {
    it(`${page}: every relative link and anchor leads somewhere`, () => {
      assert.deepEqual(deadLinks(page), []);
    });
  }

  it('the README links every page of docs/', () => {
    const linked = new Set(links(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).map((target) => target.split('#')[0]));
    const unlinked = PAGES.filter((page) => page.startsWith('docs/') && !linked.has(page));
    assert.deepEqual(unlinked, []);
  });

  it('the README stays a front door: at most 250 lines', () => {
    const lines = readFileSync(path.join(ROOT, 'README.md'), 'utf8').trimEnd().split('\n').length;
    assert.ok(lines <= 250, `README.md has ${lines} lines`);
  });
});

describe('the slug rules the link check uses (GitHub)', () => {
  it('lowercases, drops punctuation but - and _, turns spaces into -', () => {
    assert.equal(slug('Pairing by code (no camera)'), 'pairing-by-code-no-camera');
    assert.equal(slug('Run without a disk / on several hosts'), 'run-without-a-disk--on-several-hosts');
    assert.equal(slug('DELETE /api/session/clear'), 'delete-apisessionclear');
    assert.equal(slug('With `DATABASE_URL`: standby, lost lease'), 'with-database_url-standby-lost-lease');
    assert.equal(slug('"Port 3000 on 0.0.0.0 is already in use"'), 'port-3000-on-0000-is-already-in-use');
    assert.equal(slug('A [linked](https://example.com) **bold** heading'), 'a-linked-bold-heading');
  });

  it('numbers repeated headings -1, -2 and ignores "#" lines in code blocks', () => {
    const page = '# Notes\n\n## Notes\n\n```sh\n# Notes\n```\n\n### Notes\n';
    assert.deepEqual([...anchors(page)], ['notes', 'notes-1', 'notes-2']);
  });

  it('finds links outside code only', () => {
    assert.deepEqual(links('See [a](a.md#x) and `[b](b.md)`.\n\n```md\n[c](c.md)\n```\n[d](#d "title")'), ['a.md#x', '#d']);
  });
});
