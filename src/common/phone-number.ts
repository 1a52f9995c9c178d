/** E.164: at most 15 digits with the country code; fewer than 7 is no phone number. */
const DIGITS = /^\d{7,15}$/;

/** "+1 555-000 1111" as "15550001111"; null when it is not a phone number with its country code. */
export function normalizePhoneNumber(input: string): string | null {
  const trimmed = input.trim();
  // No parentheses: "(555) 000-1111" is how a local number without its country code is written.
  if (!/^\+?[\d\s-]+$/.test(trimmed)) return null;
  const digits = trimmed.replace(/[\s+-]/g, '');
  return DIGITS.test(digits) && !digits.startsWith('0') ? digits : null;
}
