/** WhatsApp's ids: `Wid` (user@server) and `MsgKey` (fromMe_remote_id[_participant]), plus bytes helpers. */
import { keyOf } from './backbone';
import { simError } from './trace';

export class Wid {
  readonly server: string;
  readonly user: string;
  readonly _serialized: string;

  constructor(serialized: string) {
    if (typeof serialized !== 'string') throw simError(`Wid: expected a string, got ${typeof serialized}`);
    const at = serialized.indexOf('@');
    if (at <= 0) throw simError(`Wid: invalid id ${JSON.stringify(serialized)}`);
    const server = serialized.slice(at + 1);
    this.user = serialized.slice(0, at);
    this.server = server === 's.whatsapp.net' ? 'c.us' : server;
    this._serialized = `${this.user}@${this.server}`;
  }

  isUser(): boolean {
    return this.server === 'c.us' || this.server === 'lid';
  }
  isLid(): boolean {
    return this.server === 'lid';
  }
  isGroup(): boolean {
    return this.server === 'g.us';
  }
  isBroadcast(): boolean {
    return this.server === 'broadcast';
  }
  isStatus(): boolean {
    return this.user === 'status' && this.server === 'broadcast';
  }
  isNewsletter(): boolean {
    return this.server === 'newsletter';
  }
  isBot(): boolean {
    return this.server === 'bot';
  }
  isServer(): boolean {
    return this.server === 'c.us' && this.user === 'server';
  }
  toString(): string {
    return this._serialized;
  }
  toJid(): string {
    return `${this.user}@${this.server === 'c.us' ? 's.whatsapp.net' : this.server}`;
  }
  equals(other: unknown): boolean {
    return keyOf(other) === this._serialized;
  }
}

/** A Wid from a Wid, a Wid-like object, "15550001111", "+15550001111" or "15550001111@c.us". */
export function toWid(value: unknown): Wid {
  if (value instanceof Wid) return value;
  const serialized = (value as { _serialized?: unknown } | null)?._serialized;
  if (typeof serialized === 'string') return new Wid(serialized);
  let text = String(value);
  if (!text.includes('@')) text = `${text.replace(/^\+/, '')}@c.us`;
  return new Wid(text);
}

export interface MsgKeyInit {
  fromMe?: boolean;
  selfDir?: 'in' | 'out';
  remote?: unknown;
  from?: unknown;
  to?: unknown;
  id: string;
  participant?: unknown;
}

export class MsgKey {
  readonly fromMe: boolean;
  readonly remote: Wid;
  readonly id: string;
  readonly participant?: Wid;
  readonly _serialized: string;

  constructor(init: MsgKeyInit) {
    if (!init) throw simError('MsgKey: missing options');
    const fromMe = init.fromMe !== undefined ? Boolean(init.fromMe) : init.selfDir === 'out';
    const remote = init.remote ?? (fromMe ? init.to : init.from);
    if (!remote) throw simError('MsgKey: missing remote');
    if (!init.id) throw simError('MsgKey: missing id');
    this.fromMe = fromMe;
    this.remote = toWid(remote);
    this.id = init.id;
    if (init.participant) this.participant = toWid(init.participant);
    this._serialized = `${fromMe}_${this.remote._serialized}_${init.id}${this.participant ? `_${this.participant._serialized}` : ''}`;
  }

  toString(): string {
    return this._serialized;
  }
  equals(other: unknown): boolean {
    return keyOf(other) === this._serialized;
  }
  /** The library awaits it: `await require('WAWebMsgKey').newId()`. */
  static newId(): Promise<string> {
    return Promise.resolve(`3EB0${randomHex(8)}`);
  }
  static fromString(serialized: string): MsgKey {
    const [fromMe, remote, id, participant] = String(serialized).split('_');
    return new MsgKey({ fromMe: fromMe === 'true', remote, id: id ?? '', participant });
  }
}

export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return bytes;
}

export function randomHex(byteCount: number): string {
  return Array.from(randomBytes(byteCount), (byte) => byte.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}

/** Bytes to base64, 32 KiB at a time: a 16 MiB file must not become 16 million string concatenations. */
export function encodeB64(data: Uint8Array | ArrayBuffer | ArrayLike<number>): string {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data as ArrayBuffer);
  const parts: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 0x8000) {
    parts.push(String.fromCharCode(...bytes.subarray(offset, offset + 0x8000)));
  }
  return btoa(parts.join(''));
}

export function decodeB64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}
