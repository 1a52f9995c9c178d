import { normalizePhoneNumber } from './phone-number';

const USER_CHAT = /^\d{7,15}@c\.us$/;
/** Groups: "120363012345678901@g.us", or the older "<creator>-<unix seconds>@g.us". */
const GROUP_CHAT = /^\d{5,20}(-\d{5,20})?@g\.us$/;

/** "+1 555-000 1111", "15550001111@c.us" or "120363...@g.us" as a chat id; null when it is none of them. */
export function normalizeRecipient(to: string): string | null {
  const trimmed = to.trim();
  if (USER_CHAT.test(trimmed) || GROUP_CHAT.test(trimmed)) return trimmed;
  const digits = normalizePhoneNumber(trimmed);
  return digits === null ? null : `${digits}@c.us`;
}
