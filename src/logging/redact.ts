/** Keys whose values never reach a log line, whatever the caller passes. */
const SECRET_KEYS = /^(authorization|cookie|set-cookie|token|admin_?token|password|secret|qr|payload|session)$/i;
const REDACTED = '[redacted]';

/**
 * Removes secrets from a log record: values under secret-looking keys, and any occurrence
 * of a known secret value (ADMIN_TOKEN, the current QR payload) inside strings.
 */
export function redact(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return redactString(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  // Deeper than any record we log: cut it rather than pass unread content through.
  if (depth > 6) return '[truncated]';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) return redactString(value.message, secrets);
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (value instanceof Map) return redact(Object.fromEntries(value), secrets, depth + 1);
  if (Array.isArray(value)) return value.map((item) => redact(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = SECRET_KEYS.test(key) ? REDACTED : redact(child, secrets, depth + 1);
  }
  return out;
}

/** One top-level field of a log record: its key decides first, then its content. */
export function redactField(key: string, value: unknown, secrets: readonly string[]): unknown {
  return SECRET_KEYS.test(key) ? REDACTED : redact(value, secrets);
}

function redactString(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 8 && result.includes(secret)) result = result.split(secret).join(REDACTED);
  }
  return result;
}
