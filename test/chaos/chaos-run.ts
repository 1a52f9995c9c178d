/**
 * A seeded fault run against the real daemon, real whatsapp-web.js and real Chromium on the
 * simulated WhatsApp Web: faults drawn from the menu one after another, each followed by the
 * recovery it calls for, while the watcher checks the invariants every ~100 ms.
 */
import { Sandbox } from '../support/daemon';
import { endLeftovers, FAULTS, type Fault, type Outcome } from './faults';
import { SeededRandom } from './random';
import { ChaosSession } from './session';
import { Timeline } from './timeline';
import { Watcher } from './watcher';

const BUG_LOGS = /^Refused the transition|failed with an unexpected error/;

export interface ChaosOptions {
  readonly faults: number;
  readonly seed: number;
  /** Stop drawing faults after this long (the run still finishes the fault under way). */
  readonly maxSeconds?: number;
  /** Only the faults whose name contains this. */
  readonly only?: string;
  readonly log?: (line: string) => void;
}

export interface ChaosReport {
  readonly seed: number;
  readonly only: string | undefined;
  readonly faultsApplied: number;
  readonly recovered: number;
  readonly byFault: Record<string, number>;
  readonly violations: Timeline['entries'];
  readonly timeline: Timeline;
  readonly session: ChaosSession;
  readonly stats: Watcher['stats'];
  readonly seconds: number;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const random = new SeededRandom(options.seed);
  const timeline = new Timeline();
  const sandbox = await Sandbox.create();
  const watcher = new Watcher({ profileDir: sandbox.profileDir, timeline });
  const session = new ChaosSession(sandbox, watcher, timeline);
  const byFault: Record<string, number> = {};
  const deadline = options.maxSeconds === undefined ? Infinity : Date.now() + options.maxSeconds * 1000;
  let applied = 0;
  let recovered = 0;
  const menu = options.only === undefined ? FAULTS : FAULTS.filter((fault) => fault.name.includes(options.only ?? ''));
  if (menu.length === 0) throw new Error(`no fault's name contains "${options.only}"`);

  watcher.start();
  try {
    await session.startDaemon();
    await pairAndCheck(session);
    timeline.check('paired and ready');

    while (applied < options.faults && Date.now() < deadline && timeline.violations().length === 0) {
      const fault = random.weighted(menu);
      applied++;
      byFault[fault.name] = (byFault[fault.name] ?? 0) + 1;
      log(`fault ${applied}/${options.faults}: ${fault.name}`);
      const ok = await applyAndRecover(session, fault, random);
      if (!ok) break;
      recovered++;
    }

    // The last word: a SIGTERM that leaves nothing running.
    await session.stopDaemon('SIGTERM');
    timeline.check('final SIGTERM: exit 0, no browser left');
    // What the daemon itself calls a bug: an edge outside the transition table, an unexpected 500.
    for (const record of session.records()) {
      if (BUG_LOGS.test(record.message)) timeline.violation('the daemon logged a bug', { incarnation: record.incarnation, message: record.message });
    }
  } catch (error) {
    timeline.violation('the run itself failed', { error: describe(error) });
  } finally {
    await watcher.stop();
    const daemon = session.incarnations.at(-1);
    if (daemon && !daemon.hasExited) await daemon.stop('SIGKILL').catch(() => undefined);
    if ((await endLeftovers(session)) > 0) timeline.violation('browsers left after the run');
  }
  const report: ChaosReport = {
    seed: options.seed,
    only: options.only,
    faultsApplied: applied,
    recovered,
    byFault,
    violations: timeline.violations(),
    timeline,
    session,
    stats: watcher.stats,
    seconds: Math.round((Date.now() - timeline.startedAt) / 100) / 10,
  };
  return report;
}

/** Disposes the run's temp directory (after the report was read). */
export async function disposeChaos(report: ChaosReport): Promise<void> {
  await report.session.sandbox.dispose();
}

async function applyAndRecover(session: ChaosSession, fault: Fault, random: SeededRandom): Promise<boolean> {
  const { timeline } = session;
  const mark = session.mark();
  timeline.fault(fault.name);
  let outcome: Outcome;
  try {
    outcome = await fault.apply(session, random);
  } catch (error) {
    timeline.violation(`could not apply "${fault.name}"`, { error: describe(error) });
    return false;
  }
  try {
    if (outcome === 'tolerated') {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const since = session.transitionsSince(mark);
      if (since.length > 0) {
        timeline.violation('a tolerated fault moved the state', { fault: fault.name, transitions: since });
        return false;
      }
      await botAnswers(session);
      timeline.check('tolerated: no transition');
    } else if (outcome === 'keep' || outcome === 'reconnect') {
      if (outcome === 'reconnect')
        await waitUntil(() => session.transitionsSince(mark).includes('reconnecting'), 'the daemon noticed (reconnecting)', 30_000);
      const status = await session.waitFor((s) => s.state === 'ready', 'ready again');
      const since = session.transitionsSince(mark);
      if (since.includes('qr') || since.includes('logged_out')) {
        timeline.violation('the session was not kept', { fault: fault.name, transitions: since });
        return false;
      }
      if (status.me === null) timeline.violation('ready, but nobody is paired', { fault: fault.name });
      await botAnswers(session);
      timeline.check(`${outcome === 'reconnect' ? 'reconnected' : 'kept'}: ready with no QR (${since.join(' ') || 'no transition'})`);
    } else {
      await session.waitFor((s) => s.state === 'qr' && s.hasQr && s.me === null, 'a fresh QR');
      await pairAndCheck(session);
      const restartMark = session.mark();
      await session.restart('SIGTERM');
      await session.waitFor((s) => s.state === 'ready', 'ready after the restart');
      const since = session.transitionsSince(restartMark);
      if (since.includes('qr')) {
        timeline.violation('the re-pair did not survive a restart', { fault: fault.name, transitions: since });
        return false;
      }
      await botAnswers(session);
      timeline.check('fresh: QR, re-paired, the pairing survived a restart');
    }
    await nothingAcceptedIsLost(session);
  } catch (error) {
    timeline.violation(`no recovery from "${fault.name}"`, { error: describe(error), transitions: session.transitionsSince(mark) });
    return false;
  }
  return timeline.violations().length === 0;
}

interface MessageRecord {
  readonly status: string;
  readonly attempts: number;
  readonly waMessageId: string | null;
  readonly error: { code: string } | null;
}

/**
 * Once ready again, every message ever accepted is sent (none failed, none left behind), and the
 * phone holds no more copies of one than the daemon made attempts: a repeat is only allowed
 * where the daemon could not rule it out (an attempt cut short by the crash).
 */
async function nothingAcceptedIsLost(session: ChaosSession): Promise<void> {
  if (session.accepted.size === 0) return;
  const deadline = Date.now() + 30_000;
  let records = new Map<string, MessageRecord>();
  for (;;) {
    records = new Map();
    for (const id of session.accepted.keys()) {
      const { status, body } = await session.daemon.request('GET', `/api/messages/${id}`);
      if (status === 404) {
        session.timeline.violation('an accepted message is gone', { id });
        return;
      }
      records.set(id, body as MessageRecord);
    }
    const waiting = [...records.values()].filter((r) => r.status !== 'sent');
    if (waiting.some((r) => r.status === 'failed')) {
      session.timeline.violation('an accepted message failed', { failed: [...records].filter(([, r]) => r.status === 'failed') });
      return;
    }
    if (waiting.length === 0) break;
    if (Date.now() > deadline) {
      session.timeline.violation('accepted messages were not sent within 30 s of ready', { waiting: waiting.length });
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const outbox = await session.withPhone((phone) => phone.outbox());
  let repeats = 0;
  for (const [id, sent] of session.accepted) {
    const matching = outbox.filter((entry) => entry.to === sent.to && (entry.media ? entry.media.caption : entry.body) === sent.text);
    const copies = matching.length;
    if (sent.sha256 !== undefined && matching.some((entry) => entry.media?.sha256 !== sent.sha256))
      session.timeline.violation('a file reached the phone other than it was sent', { id, sha256: sent.sha256 });
    const record = records.get(id);
    if (record && copies > record.attempts)
      session.timeline.violation('a message reached the phone more often than it was attempted', { id, copies, attempts: record.attempts });
    if (copies > 1) repeats++;
  }
  session.repeats = repeats;
  session.timeline.check(
    `nothing accepted is lost: ${session.accepted.size} sent${repeats > 0 ? `, ${repeats} repeated after an interrupted attempt` : ''}`,
  );
}

async function pairAndCheck(session: ChaosSession): Promise<void> {
  const me = session.nextPhone();
  await session.waitFor((s) => s.state === 'qr' && s.hasQr, 'a QR to scan');
  await session.withPhone((phone) => phone.scan(me));
  const ready = await session.waitFor((s) => s.state === 'ready', 'ready after the scan');
  if (ready.me?.id !== me.user) session.timeline.violation('ready as the wrong account', { expected: me.user, got: ready.me });
  await botAnswers(session);
}

let chat = 0;
/** `!ping` from a new chat gets `pong` within 15 s. */
async function botAnswers(session: ChaosSession): Promise<void> {
  const from = `1555020${String(++chat).padStart(4, '0')}@c.us`;
  await session.withPhone(async (phone) => {
    await phone.incoming({ from, body: '!ping' });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const outbox = await phone.outbox();
      if (outbox.some((entry) => entry.to === from && entry.body === 'pong')) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the bot did not answer !ping from ${from} within 15 s`);
  });
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
