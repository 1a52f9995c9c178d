/** One line of the doctor's answer. `skip`: could not be judged because an earlier check failed. */
export type Verdict = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  readonly name: string;
  readonly verdict: Verdict;
  /** What was found, in plain words; never a secret. */
  readonly detail: string;
  /** What to do about a warn or a fail. */
  readonly fix: string | null;
}

export const pass = (name: string, detail: string): CheckResult => ({ name, verdict: 'pass', detail, fix: null });
export const warn = (name: string, detail: string, fix: string | null = null): CheckResult => ({ name, verdict: 'warn', detail, fix });
export const fail = (name: string, detail: string, fix: string | null = null): CheckResult => ({ name, verdict: 'fail', detail, fix });
export const skip = (name: string, why: string): CheckResult => ({ name, verdict: 'skip', detail: why, fix: null });

const LABEL: Readonly<Record<Verdict, string>> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };
const NAME_WIDTH = 12;

/** The report as printed: a line per check, the fix indented under it, a summary last. */
export function formatReport(results: readonly CheckResult[]): string {
  const lines = ['wa-tether doctor'];
  for (const result of results) {
    lines.push(`  ${LABEL[result.verdict]}  ${result.name.padEnd(NAME_WIDTH)} ${result.detail}`);
    if (result.fix !== null) lines.push(`  ${' '.repeat(6 + NAME_WIDTH)} fix: ${result.fix}`);
  }
  const count = (verdict: Verdict): number => results.filter((r) => r.verdict === verdict).length;
  const failed = count('fail');
  lines.push(
    `${count('pass')} passed, ${count('warn')} warning${count('warn') === 1 ? '' : 's'}, ${failed} failed${count('skip') > 0 ? `, ${count('skip')} skipped` : ''}: ` +
      (failed > 0 ? 'fix the FAIL lines, then run the doctor again.' : 'nothing stops the daemon from running here.'),
  );
  return `${lines.join('\n')}\n`;
}

/** Non-zero when anything failed. */
export function exitCodeOf(results: readonly CheckResult[]): number {
  return results.some((r) => r.verdict === 'fail') ? 1 : 0;
}
