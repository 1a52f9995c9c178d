/** Secrets shorter than this are not searched for in log text: they would match ordinary words. */
const MIN_SECRET_LENGTH = 8;

/**
 * Every value that must never reach a log line: the configured tokens, and what is secret only
 * while it lasts (the current QR payload, a pairing code). The logger reads `list()` at every
 * call, so a QR shown a second ago is redacted from the next line.
 */
export class LiveSecrets {
  private readonly fixed: readonly string[];
  private qr: string | null = null;
  private pairingCode: string | null = null;

  constructor(configured: ReadonlyArray<string | null | undefined>) {
    this.fixed = configured.filter((value): value is string => typeof value === 'string' && value.length >= MIN_SECRET_LENGTH);
  }

  setQr(payload: string | null): void {
    this.qr = payload;
  }

  setPairingCode(code: string | null): void {
    this.pairingCode = code;
  }

  list(): readonly string[] {
    const live = [this.qr, this.pairingCode].filter((value): value is string => value !== null && value.length >= MIN_SECRET_LENGTH);
    return [...this.fixed, ...live];
  }
}
