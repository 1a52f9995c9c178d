/**
 * Section 10, media: files from the API to the simulated phone through the built daemon, the
 * real whatsapp-web.js and Chromium: how long a 5 MiB image takes end to end, and the tree's PSS
 * peak while a 16 MiB file goes, sent as JSON base64 (the body, its string and the parsed string
 * all pass through node) and as multipart (streamed by busboy).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PNG } from 'pngjs';
import { SimPhone } from '../../test/sim';
import { ADMIN_TOKEN, type BenchContext, startDaemon } from './contenders';
import { describeRoles, measureTree } from './memory';
import { mib, percentile, median } from './stats';

export interface MediaSection {
  readonly imageBytes: number;
  readonly sends: number;
  /** POST to the phone having the file, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly largeBytes: number;
  /** The tree's PSS before the 16 MiB send and its peak while it went, bytes. */
  readonly pssBefore: number;
  readonly pssPeak: number;
  readonly nodePssBefore: number;
  readonly nodePssPeak: number;
  readonly largeMs: number;
  /** The same 16 MiB file sent as multipart/form-data (streamed by busboy, never base64 in node). */
  readonly form: LargeSend;
}

/** One 16 MiB send: the tree's PSS before it and at its peak, node's own, and how long it took. */
export interface LargeSend {
  readonly pssBefore: number;
  readonly pssPeak: number;
  readonly nodePssBefore: number;
  readonly nodePssPeak: number;
  readonly ms: number;
}

export interface MediaOptions {
  readonly template: string;
  readonly sends: number;
  readonly settleMs: number;
  readonly log: (line: string) => void;
}

/** A PNG of random pixels (it does not compress) of about `bytes`. */
function noisePng(bytes: number): Buffer {
  const side = Math.ceil(Math.sqrt(bytes / 4));
  const png = new PNG({ width: side, height: side });
  randomBytes(png.data.length).copy(png.data);
  return PNG.sync.write(png, { deflateLevel: 0 });
}

async function send(url: string, body: unknown): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`POST /api/messages answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

async function sendForm(url: string, to: string, text: string, file: Buffer, filename: string): Promise<string> {
  const form = new FormData();
  form.set('to', to);
  form.set('text', text);
  form.set('file', new Blob([new Uint8Array(file)]), filename);
  const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: form });
  if (res.status !== 202) throw new Error(`POST /api/messages (form) answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

async function untilOnPhone(phone: SimPhone, caption: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await phone.outbox()).some((o) => o.media?.caption === caption)) return;
    await sleep(20);
  }
  throw new Error(`"${caption}" did not reach the phone within ${timeoutMs} ms`);
}

type DaemonRun = Awaited<ReturnType<typeof startDaemon>>;

/** A daemon of its own from the paired template, ready, with the phone attached. */
async function withDaemon<T>(
  ctx: BenchContext,
  options: MediaOptions,
  name: string,
  fn: (run: DaemonRun, phone: SimPhone, url: string) => Promise<T>,
): Promise<T> {
  const run = await startDaemon(ctx, await ctx.dirs.copyOf(options.template, name), {
    env: { SEND_RATE_PER_MINUTE: '600', SEND_CHAT_GAP_MS: '0', MEDIA_MAX_BYTES: String(LARGE) },
  });
  try {
    await run.waitForReady();
    const phone = await SimPhone.attach(run.profileDir, { timeoutMs: 30_000 });
    try {
      return await fn(run, phone, run.url('/api/messages'));
    } finally {
      await phone.detach();
    }
  } finally {
    await run.stop();
  }
}

const LARGE = 16 * 2 ** 20;

/**
 * The 16 MiB file sent one way by a daemon that has sent nothing yet (what earlier sends left in
 * node's and the page's heaps would move the baseline), with the tree's PSS sampled every 50 ms.
 */
async function measureLarge(
  ctx: BenchContext,
  options: MediaOptions,
  how: string,
  post: (url: string, caption: string) => Promise<string>,
): Promise<LargeSend> {
  return withDaemon(ctx, options, `media-${how === 'multipart' ? 'form' : 'json'}`, async (run, phone, url) => {
    await sleep(options.settleMs);
    const before = await measureTree(run.child.pid, [run.profileDir]);
    let peak = before;
    /** Each role's own peak: node's and the renderer's need not come at the same moment. */
    const rolePeaks = new Map<string, number>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const now = await measureTree(run.child.pid, [run.profileDir]).catch(() => null);
        if (now !== null && now.pss > peak.pss) peak = now;
        for (const p of now?.processes ?? []) rolePeaks.set(p.role, Math.max(rolePeaks.get(p.role) ?? 0, p.pss));
        await sleep(50);
      }
    })();
    const caption = `bench 16 MiB ${how}`;
    const started = performance.now();
    let ms: number;
    try {
      await post(url, caption);
      await untilOnPhone(phone, caption);
      ms = performance.now() - started;
      await sleep(1_000);
    } finally {
      // A failed send must not leave the sampler running: it would keep the bench alive.
      sampling = false;
      await sampler;
    }
    options.log(
      `  16 MiB document by ${how}: ${ms.toFixed(0)} ms; tree PSS ${mib(before.pss)} -> peak ${mib(peak.pss)} MiB (+${mib(peak.pss - before.pss)}); before: ${describeRoles(before)}; each role's peak: ${[...rolePeaks].map(([role, pss]) => `${role} ${mib(pss)}`).join(', ')} (MiB)`,
    );
    return { pssBefore: before.pss, pssPeak: peak.pss, nodePssBefore: before.node.pss, nodePssPeak: peak.node.pss, ms };
  });
}

export async function mediaSection(ctx: BenchContext, options: MediaOptions): Promise<MediaSection> {
  const image = noisePng(5 * 2 ** 20);
  const times = await withDaemon(ctx, options, 'media-images', async (_run, phone, url) => {
    const data = image.toString('base64');
    const times: number[] = [];
    for (let i = 0; i < options.sends; i++) {
      const caption = `bench image ${i}`;
      const started = performance.now();
      await send(url, { to: '15550031000', text: caption, media: { data } });
      await untilOnPhone(phone, caption);
      times.push(performance.now() - started);
      await phone.clearOutbox();
    }
    return times;
  });
  options.log(`  5 MiB image API -> phone: p50 ${median(times).toFixed(0)} ms, p99 ${percentile(times, 99).toFixed(0)} ms over ${times.length}`);
  const file = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(LARGE - 9)]);
  const json = await measureLarge(ctx, options, 'JSON base64', (url, caption) =>
    send(url, { to: '15550031001', text: caption, media: { data: file.toString('base64'), filename: 'large.pdf' } }),
  );
  const form = await measureLarge(ctx, options, 'multipart', (url, caption) => sendForm(url, '15550031002', caption, file, 'large.pdf'));
  return {
    imageBytes: image.length,
    sends: times.length,
    p50Ms: median(times),
    p99Ms: percentile(times, 99),
    largeBytes: LARGE,
    pssBefore: json.pssBefore,
    pssPeak: json.pssPeak,
    nodePssBefore: json.nodePssBefore,
    nodePssPeak: json.nodePssPeak,
    largeMs: json.ms,
    form,
  };
}

export function formatMedia(section: MediaSection): string {
  const growth = section.pssPeak - section.pssBefore;
  return [
    '10. media (JSON base64 -> daemon -> page -> phone)',
    `  ${mib(section.imageBytes)} MiB image, ${section.sends} sends: p50 ${section.p50Ms.toFixed(0)} ms, p99 ${section.p99Ms.toFixed(0)} ms`,
    `  16 MiB document: ${section.largeMs.toFixed(0)} ms; tree PSS ${mib(section.pssBefore)} -> peak ${mib(section.pssPeak)} MiB (+${mib(growth)} MiB; node ${mib(section.nodePssBefore)} -> ${mib(section.nodePssPeak)} MiB)`,
    `  16 MiB document by multipart: ${section.form.ms.toFixed(0)} ms; tree PSS ${mib(section.form.pssBefore)} -> peak ${mib(section.form.pssPeak)} MiB (+${mib(section.form.pssPeak - section.form.pssBefore)} MiB; node ${mib(section.form.nodePssBefore)} -> ${mib(section.form.nodePssPeak)} MiB)`,
    `  target: peak under +150 MiB while sending 16 MiB: ${growth < 150 * 2 ** 20 ? 'MET' : 'MISSED'} by JSON base64, ${section.form.pssPeak - section.form.pssBefore < 150 * 2 ** 20 ? 'MET' : 'MISSED'} by multipart`,
  ].join('\n');
}
