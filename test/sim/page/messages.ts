/** Messages both ways: what the phone's contacts send in, and what the library sends out. */
import { keyOf, type Model } from './backbone';
import { MsgKey, randomHex, toWid, Wid } from './ids';
import { chats, contacts, type Chat, messageHooks, messages, Msg, socket } from './models';
import { sessionHooks, socketState } from './session';
import { attachMedia, cdnBase64, cdnForget, cdnPeek, mediaAttributes, receiveMedia } from './media';
import { idbDelete, idbPut } from './storage';
import { cfg, type PendingIncoming, sim } from './state';
import { log, recordError, simError } from './trace';
import type { SimIncoming, SimOutboxEntry, SimOutboxMedia } from './types';
import { render } from './view';

function meWid(): Wid | undefined {
  const me = sim.pairing?.me;
  return me ? new Wid(`${me.user}@c.us`) : undefined;
}

/** A message's text attribute; a media message's body may be absent (or the library's preview). */
function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function persistOutbox(): void {
  idbPut('outbox', sim.outbox).catch((error: unknown) => recordError('persist outbox', error));
}

function outboxEntry(msg: Msg): SimOutboxEntry {
  const quotedStanzaID = (msg.get('quotedStanzaID') as string | undefined) ?? null;
  const quoted = quotedStanzaID === null ? undefined : messages.filter((m) => (m.get('id') as MsgKey).id === quotedStanzaID)[0];
  return {
    id: (msg.get('id') as MsgKey)._serialized,
    to: keyOf(msg.get('to')) ?? '',
    from: keyOf(msg.get('from')) ?? '',
    body: textOf(msg.get('body')),
    type: String(msg.get('type')),
    t: Number(msg.get('t')),
    ack: Number(msg.get('ack')),
    quotedStanzaID,
    quotedMsgId: quoted ? (quoted.get('id') as MsgKey)._serialized : null,
    quotedBody: quoted ? textOf(quoted.get('body') ?? quoted.get('caption')) : null,
    at: Date.now(),
    ...(typeof msg.get('directPath') === 'string' ? { media: outboxMedia(msg) } : {}),
  };
}

/** What the phone receives of a media message: the message's fields and the uploaded file's hash. */
function outboxMedia(msg: Msg): SimOutboxMedia {
  const directPath = String(msg.get('directPath'));
  const file = cdnPeek(directPath);
  if (!file) throw simError(`send: a media message whose file was not uploaded (${directPath})`);
  const mimetype = msg.get('mimetype');
  const filename = msg.get('filename');
  const caption = msg.get('caption');
  return {
    type: String(msg.get('type')),
    // processStickerData sets no mimetype on the message: the uploaded file's type.
    mimetype: typeof mimetype === 'string' ? mimetype : file.mimetype,
    filename: typeof filename === 'string' ? filename : null,
    size: file.size,
    sha256: file.sha256,
    caption: typeof caption === 'string' ? caption : null,
    directPath,
  };
}

function setAck(msg: Msg, ack: number): void {
  msg.set({ ack });
  const id = (msg.get('id') as MsgKey)._serialized;
  for (const entry of sim.outbox) if (entry.id === id) entry.ack = ack;
  persistOutbox();
}

/** `WAWebSendMsgChatAction.addAndSendMsgToChat`: the library awaits the first promise only. */
export function addAndSendMsgToChat(chat: Chat, attrs: Record<string, unknown>): [Promise<Msg>, Promise<unknown>] {
  const msg = new Msg({ star: false, broadcast: false, isForwarded: false, forwardingScore: 0, mentionedJidList: [], groupMentions: [], ...attrs });
  if (typeof msg.get('directPath') === 'string') attachMedia(msg, 'RESOLVED', msg.attributes);
  chat.msgs.add(msg);
  messages.add(msg);
  chat.set({ t: msg.get('t') });
  const entry = outboxEntry(msg);
  sim.outbox.push(entry);
  persistOutbox();
  log('send', { to: entry.to, id: entry.id });
  render();
  const result = new Promise((resolve) => {
    if (cfg.ackDelayMs < 0) {
      resolve({ messageSendResult: 'OK' });
      return;
    }
    setTimeout(() => {
      if (socketState() === 'CONNECTED') setAck(msg, 1);
      resolve({ messageSendResult: 'OK', t: msg.get('t') });
    }, cfg.ackDelayMs);
  });
  return [Promise.resolve(msg), result];
}

/** `WAWebQueryExistsJob.queryWidExists`: is this number on WhatsApp? */
export function queryWidExists(wid: unknown): Promise<{ wid: Wid } | null> {
  const target = toWid(wid);
  if (cfg.unregisteredNumbers.includes(target.user)) return Promise.resolve(null);
  return Promise.resolve({ wid: target });
}

export function sendSeen(options: { chat?: Chat }): Promise<void> {
  const chat = options?.chat;
  if (chat) {
    sim.seen.push({ chat: keyOf(chat.get('id')) ?? '', at: Date.now() });
    chat.set({ unreadCount: 0 });
  }
  return Promise.resolve();
}

function canDeliver(): boolean {
  return sim.pairing !== null && socketState() === 'CONNECTED' && Boolean(socket.get('hasSynced')) && messages.listenerCount('add') > 0;
}

export function flushPending(): void {
  if (!canDeliver() || sim.pending.length === 0) return;
  const list = sim.pending.splice(0);
  idbDelete(['pending']).catch((error: unknown) => recordError('persist pending', error));
  for (const record of list) deliver(record);
}

/** Ciphertext messages waiting for the library to ask the phone to resend them. */
const awaitingResend = new Map<string, { msg: Msg; record: PendingIncoming }>();

/** What an encrypted message becomes once decrypted. */
function plainAttributes(record: PendingIncoming): Record<string, unknown> {
  return record.media ? mediaAttributes(record.media, record.body) : { type: 'chat', body: record.body };
}

/** `handlePlaceholderMsgsSeen(msgs, true)`: the library asks the phone to resend what it could not decrypt. */
export function handlePlaceholderMsgsSeen(msgs: Model[]): void {
  sim.resendRequests++;
  for (const msg of msgs) {
    const id = keyOf(msg.get('id')) ?? '';
    const waiting = awaitingResend.get(id);
    log('resend-request', { id, decrypts: waiting !== undefined });
    if (!waiting) continue;
    awaitingResend.delete(id);
    waiting.msg.set(plainAttributes(waiting.record));
  }
}

function deliver(record: PendingIncoming): Msg {
  const me = meWid();
  const chatWid = new Wid(record.from);
  const author = record.author === undefined ? undefined : toWid(record.author);
  const sender = author ?? chatWid;
  const contact =
    contacts.get(sender) ?? contacts.add({ id: sender, type: 'in', isBusiness: false, isEnterprise: false, labels: [], statusMute: false });
  if (record.notifyName) contact.set({ pushname: record.notifyName });
  const chat = chats.get(chatWid) ?? chats.add({ id: chatWid });
  const key = new MsgKey({ from: chatWid, to: me, id: record.id, selfDir: 'in', participant: author });
  const encrypted = record.ciphertext !== undefined;
  const msg = new Msg({
    id: key,
    type: encrypted ? 'ciphertext' : 'chat',
    body: encrypted ? undefined : record.body,
    ...(record.media && !encrypted ? mediaAttributes(record.media, record.body) : {}),
    t: record.t,
    from: chatWid,
    to: me,
    author,
    self: 'in',
    ack: 1,
    isNewMsg: true,
    local: false,
    notifyName: record.notifyName,
    star: false,
    broadcast: false,
    isForwarded: false,
    forwardingScore: 0,
    mentionedJidList: [],
    groupMentions: [],
    isStatusV3: false,
  });
  // Known before it decrypts, so the library's downloadMedia() finds mediaData once it has a type.
  if (record.media) attachMedia(msg, 'INIT', mediaAttributes(record.media, record.body));
  chat.msgs.add(msg);
  messages.add(msg); // 'add' with isNewMsg: the library emits message_create + message
  chat.set({ t: record.t, lastReceivedKey: key, unreadCount: Number(chat.get('unreadCount') ?? 0) + 1 });
  log('deliver', { id: key._serialized, from: record.from, ciphertext: record.ciphertext ?? null });
  if (record.ciphertext === 'decrypt') setTimeout(() => msg.set(plainAttributes(record)), 100);
  if (record.ciphertext === 'resend') awaitingResend.set(key._serialized, { msg, record });
  render();
  return msg;
}

/** A message arrives for the phone: delivered now if the client is ready, else queued like an offline message. */
export async function incoming(input: SimIncoming): Promise<{ queued: boolean; id: string }> {
  if (!input || typeof input.body !== 'string' || !input.from) throw simError('incoming: {from, body} required (body: the text, or a media caption)');
  if (!sim.pairing) throw simError('incoming: not paired');
  const from = toWid(input.from)._serialized;
  const isGroup = from.endsWith('@g.us');
  if (!from.endsWith('@c.us') && !isGroup) throw simError(`incoming: only 1:1 (@c.us) and group (@g.us) chats are simulated, got ${from}`);
  if (isGroup && !input.author) throw simError('incoming: a group message needs an author');
  const record: PendingIncoming = {
    from,
    body: String(input.body),
    id: input.id ?? randomHex(16), // 32 hex characters: looks like a message from an Android phone
    t: input.t ?? Math.floor(Date.now() / 1000),
    notifyName: input.notifyName,
    author: input.author === undefined ? undefined : toWid(input.author)._serialized,
    ciphertext: input.ciphertext,
    // The sender's phone uploads the file first; the message (queued or not) only refers to it.
    media: input.media ? await receiveMedia(input.media) : undefined,
  };
  const participant = record.author === undefined ? '' : `_${record.author}`;
  const expectedId = `false_${from}_${record.id}${participant}`;
  if (!canDeliver()) {
    sim.pending.push(record);
    idbPut('pending', sim.pending).catch((error: unknown) => recordError('persist pending', error));
    log('incoming-queued', { id: expectedId });
    return { queued: true, id: expectedId };
  }
  return { queued: false, id: (deliver(record).get('id') as MsgKey)._serialized };
}

export function ack(msgId: string, level: number): boolean {
  const msg = messages.get(msgId);
  if (!msg) throw simError(`ack: unknown message ${msgId}`);
  setAck(msg, level);
  return true;
}

export async function clearOutbox(): Promise<boolean> {
  const files = sim.outbox.flatMap((entry) => (entry.media ? [entry.media.directPath] : []));
  sim.outbox = [];
  persistOutbox();
  await cdnForget(files);
  return true;
}

/** The exact bytes of a media message the library sent, base64. */
export async function outboxMediaBytes(id: string): Promise<string> {
  const entry = sim.outbox.find((candidate) => candidate.id === id);
  if (!entry) throw simError(`outboxMedia: no sent message ${id}`);
  if (!entry.media) throw simError(`outboxMedia: ${id} is a ${entry.type} message, not media`);
  return cdnBase64(entry.media.directPath);
}

messageHooks.onAddListener = flushPending;
sessionHooks.onConnected = flushPending;
