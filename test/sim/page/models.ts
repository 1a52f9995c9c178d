/** The singletons and collections WhatsApp Web's modules hand out, as the library sees them. */
import { type Attributes, Collection, Emitter, keyOf, Model } from './backbone';
import { toWid, type Wid } from './ids';
import { mediaDataOf, mediaObjectOf, resolveMedia, type MediaData, type MediaObject } from './media';
import { sim } from './state';
import { log } from './trace';

/** What the session logic does when the library pokes the socket; set by session.ts. */
export const socketHooks = {
  onSyncListener: (): void => undefined,
  takeover: (): void => undefined,
  logout: (_why: string): Promise<unknown> => Promise.resolve(),
  refreshQr: (_why: string): void => undefined,
};
/** Flushes queued incoming messages once the library listens for them; set by messages.ts. */
export const messageHooks = {
  onAddListener: (): void => undefined,
};

export class Socket extends Model {
  protected override onListen(name: string): void {
    if (name === 'change:hasSynced') {
      log('listen', { on: 'Socket', event: name, count: this.listenerCount(name) });
      // The library listens for this only at the end of inject(): sync now.
      setTimeout(() => socketHooks.onSyncListener(), 0);
    } else if (name === 'change:state') {
      log('listen', { on: 'Socket', event: name, count: this.listenerCount(name) });
    }
  }
  takeover(): Promise<void> {
    sim.takeovers++;
    log('takeover', { from: this.get('state') });
    socketHooks.takeover();
    return Promise.resolve();
  }
  /** `client.logout()` calls this: the same as an unlink from the phone. */
  logout(): Promise<unknown> {
    return socketHooks.logout('Socket.logout');
  }
}
export const socket = new Socket({ state: 'UNLAUNCHED', hasSynced: false, stream: 'DISCONNECTED' });

export const conn = new Model({
  ref: undefined,
  refTTL: 20_000,
  wid: undefined,
  pushname: undefined,
  platform: 'android',
  phone: {},
  battery: undefined,
  plugged: undefined,
  isSMB: false,
});

/**
 * `Cmd` is an event bus. `refreshQR` is here for a page-side caller: 1.34.7 still calls
 * `window.require('WAWebCmd').Cmd.refreshQR()` in Node, where `window` does not exist.
 */
export class Cmd extends Emitter {
  refreshQR(): void {
    socketHooks.refreshQr('Cmd.refreshQR');
  }
}
export const cmd = new Cmd();

export class Stream extends Model {
  markAvailable(): void {
    this.set({ available: true });
  }
  markUnavailable(): void {
    this.set({ available: false });
  }
}
export const stream = new Stream({ available: false, mode: 'MAIN', displayInfo: 'NORMAL' });

export class Msg extends Model {
  unsafe(): this {
    return this;
  }
  safe(): this {
    return this;
  }
  canReply(): boolean {
    return canReplyMsg(this);
  }
  /** What a reply quotes: the library spreads this into the outgoing message. */
  msgContextInfo(chat: Model | undefined): Attributes {
    const key = this.get('id') as { id: string; remote: Wid };
    const info: Attributes = {
      quotedMsg: { type: this.get('type'), body: this.get('body') },
      quotedStanzaID: key.id,
      quotedParticipant: this.get('author') ?? this.get('from'),
    };
    if (chat && keyOf(chat.get('id')) !== keyOf(key.remote)) info.quotedRemoteJid = key.remote;
    return info;
  }
  /** A media message's MediaData (`mediaStage`); the library's downloadMedia() starts here. */
  get mediaData(): MediaData | undefined {
    return mediaDataOf(this);
  }
  /** getMessageModel takes a media message's links from its caption. */
  get mediaObject(): MediaObject | undefined {
    return mediaObjectOf(this);
  }
  /** Resolves the media (download, or find it gone); the library then reads `mediaData.mediaStage`. */
  downloadMedia(_options?: { downloadEvenIfExpensive?: boolean; rmrReason?: number }): Promise<void> {
    return resolveMedia(this);
  }
}

export function canReplyMsg(msg: Model | undefined): boolean {
  return msg !== undefined && msg.get('type') !== 'revoked' && msg.get('type') !== 'ciphertext';
}

export class Contact extends Model {
  get formattedName(): string {
    const id = this.get('id') as Wid;
    const name = this.get('name') ?? this.get('pushname');
    return typeof name === 'string' ? name : `+${id.user}`;
  }
}

export class Chat extends Model {
  readonly msgs = new Collection(Msg);
  readonly mute = { expiration: 0 };

  constructor(attrs?: Attributes) {
    super({
      t: 0,
      unreadCount: 0,
      archive: false,
      pin: 0,
      isReadOnly: false,
      muteExpiration: 0,
      notSpam: true,
      lastReceivedKey: undefined,
      ...attrs,
    });
    Object.defineProperty(this, 'msgs', { enumerable: false });
    Object.defineProperty(this, 'mute', { enumerable: false });
  }
  get formattedTitle(): string {
    const subject = (this.get('groupMetadata') as Model | undefined)?.get('subject');
    if (typeof subject === 'string') return subject;
    return contacts.get(this.get('id'))?.formattedName ?? `+${(this.get('id') as Wid).user}`;
  }
  get contact(): Contact | undefined {
    return contacts.get(this.get('id'));
  }
  override serialize(): Attributes {
    return { ...super.serialize(), msgs: this.msgs.map((msg) => (msg.get('id') as { _serialized: string })._serialized) };
  }
}

class MsgCollection extends Collection<Msg> {
  getMessagesById(ids: unknown): Promise<{ messages: Msg[] }> {
    return Promise.resolve({ messages: [ids].flat().flatMap((id) => this.get(id) ?? []) });
  }
  protected override onListen(name: string): void {
    if (name !== 'add') return;
    log('listen', { on: 'Msg', event: name, count: this.listenerCount(name) });
    setTimeout(() => messageHooks.onAddListener(), 0);
  }
}
export const messages = new MsgCollection(Msg);

export const contacts: Collection<Contact> = new Collection(Contact, (id) =>
  contacts.add({ id: toWid(id), type: 'in', isBusiness: false, isEnterprise: false, labels: [], statusMute: false }),
);
export const chats: Collection<Chat> = new Collection(Chat, (id) => chats.add({ id: toWid(id) }));
class BusinessProfiles extends Collection<Model> {
  fetchBizProfile(wid: unknown): Promise<Model> {
    return Promise.resolve(this.get(wid) ?? new Model({ id: toWid(wid) }));
  }
}
export const businessProfiles = new BusinessProfiles(Model);
export const groupMetadata = new Collection(Model);
export const calls = new Collection(Model);
export const labels = new Collection(Model);
export const statuses = new Collection(Model);
