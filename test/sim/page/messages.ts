/** Messages both ways: what the phone's contacts send in, and what the library sends out. */
import { keyOf, type Model } from './backbone';
import { MsgKey, randomHex, toWid, Wid } from './ids';
import { chats, contacts, type Chat, messageHooks, messages, Msg, socket } from './models';
import { sessionHooks, socketState } from './session';
import { idbDelete, idbPut } from './storage';
import { cfg, type PendingIncoming, sim } from './state';
import { log, recordError, simError } from './trace';
import type { SimIncoming, SimOutboxEntry } from './types';
import { render } from './view';

function meWid(): Wid | undefined {
  const me = sim.pairing?.me;
  return me ? new Wid(`${me.user}@c.us`) : undefined;
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
    body: String(msg.get('body') ?? ''),
    type: String(msg.get('type')),
    t: Number(msg.get('t')),
    ack: Number(msg.get('ack')),
    quotedStanzaID,
    quotedMsgId: quoted ? (quoted.get('id') as MsgKey)._serialized : null,
    quotedBody: quoted ? String(quoted.get('body')) : null,
    at: Date.now(),
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
const awaitingResend = new Map<string, { msg: Msg; body: string }>();

/** `handlePlaceholderMsgsSeen(msgs, true)`: the library asks the phone to resend what it could not decrypt. */
export function handlePlaceholderMsgsSeen(msgs: Model[]): void {
  sim.resendRequests++;
  for (const msg of msgs) {
    const id = keyOf(msg.get('id')) ?? '';
    const waiting = awaitingResend.get(id);
    log('resend-request', { id, decrypts: waiting !== undefined });
    if (!waiting) continue;
    awaitingResend.delete(id);
    waiting.msg.set({ type: 'chat', body: waiting.body });
  }
}

function deliver(record: PendingIncoming): Msg {
  const me = meWid();
  const chatWid = new Wid(record.from);
  const author = record.author === undefined ? undefined : toWid(record.author);
  const sender = author ?? chatWid;
  const contact = contacts.get(sender) ?? contacts.add({ id: sender, type: 'in', isBusiness: false, isEnterprise: false, labels: [], statusMute: false });
  if (record.notifyName) contact.set({ pushname: record.notifyName });
  const chat = chats.get(chatWid) ?? chats.add({ id: chatWid });
  const key = new MsgKey({ from: chatWid, to: me, id: record.id, selfDir: 'in', participant: author });
  const encrypted = record.ciphertext !== undefined;
  const msg = new Msg({
    id: key,
    type: encrypted ? 'ciphertext' : 'chat',
    body: encrypted ? undefined : record.body,
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
  chat.msgs.add(msg);
  messages.add(msg); // 'add' with isNewMsg: the library emits message_create + message
  chat.set({ t: record.t, lastReceivedKey: key, unreadCount: Number(chat.get('unreadCount') ?? 0) + 1 });
  log('deliver', { id: key._serialized, from: record.from, ciphertext: record.ciphertext ?? null });
  if (record.ciphertext === 'decrypt') setTimeout(() => msg.set({ type: 'chat', body: record.body }), 100);
  if (record.ciphertext === 'resend') awaitingResend.set(key._serialized, { msg, body: record.body });
  render();
  return msg;
}

/** A message arrives for the phone: delivered now if the client is ready, else queued like an offline message. */
export function incoming(input: SimIncoming): { queued: boolean; id: string } {
  if (!input || input.body === undefined || input.body === null || !input.from) throw simError('incoming: {from, body} required');
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

export function clearOutbox(): boolean {
  sim.outbox = [];
  persistOutbox();
  return true;
}

messageHooks.onAddListener = flushPending;
sessionHooks.onConnected = flushPending;
