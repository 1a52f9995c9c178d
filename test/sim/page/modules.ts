/**
 * The module table: what `window.require(name)` answers. This is the part that follows
 * whatsapp-web.js from version to version; the names are the ones 1.34.7 asks for on its
 * login, ready, receive, send and pairing-code paths (test/sim/README.md lists them and how to
 * find new ones with `__sim.requiredModules()`).
 *
 * Every module is wrapped in a recording Proxy: names nobody implemented answer `{}` and are
 * reported as `defaulted`, and members the library reads that a module lacks as `missingMembers`.
 */
import { type Model } from './backbone';
import { decodeB64, encodeB64, MsgKey, toWid, Wid } from './ids';
import {
  businessProfiles,
  calls,
  canReplyMsg,
  chats,
  cmd,
  conn,
  contacts,
  groupMetadata,
  labels,
  messages,
  socket,
  statuses,
  stream,
} from './models';
import { addAndSendMsgToChat, handlePlaceholderMsgsSeen, queryWidExists, sendSeen } from './messages';
import {
  blobCache,
  downloadAndMaybeDecrypt,
  encryptAndUpload,
  getOrCreateMediaObject,
  msgToMediaType,
  OpaqueData,
  prepRawMedia,
  qpl,
  shouldUseMediaCache,
  toWebpSticker,
  uploadMedia,
} from './media';
import { issuePairingCode, setPairingType, showQr } from './session';
import { booted, cfg, requireKeys, sim } from './state';
import { asError, log, simError } from './trace';
import type { SimRequiredModules } from './types';

function meWid(): Wid | undefined {
  const me = sim.pairing?.me;
  return me ? new Wid(`${me.user}@c.us`) : undefined;
}

function meLid(): Wid | undefined {
  const me = sim.pairing?.me;
  return me ? new Wid(`${me.lid}@lid`) : undefined;
}

type ModuleFactory = () => object;

const LINK = /\b((?:https?:\/\/|www\.)[^\s<>"']+)/gi;
function findLinks(text: unknown): Array<{ href: string; url: string; index: number }> {
  if (typeof text !== 'string' || text === '') return [];
  return [...text.matchAll(LINK)].map((match) => {
    const url = (match[1] ?? '').replace(/[).,!?]+$/, '');
    return { href: /^https?:/i.test(url) ? url : `http://${url}`, url, index: match.index ?? 0 };
  });
}

export const MODULES: Readonly<Record<string, ModuleFactory>> = {
  // ---- login: AuthStore (inject) ---------------------------------------------------------
  WAWebSocketModel: () => ({ Socket: socket }),
  WAWebCmd: () => ({ Cmd: cmd }),
  WAWebConnModel: () => ({ Conn: conn }),
  WAWebOfflineHandler: () => ({ OfflineMessageHandler: { getOfflineDeliveryProgress: () => sim.offlineProgress } }),
  WABase64: () => ({ encodeB64, decodeB64 }),
  // The library spreads these four into AuthStore.RegistrationUtils.
  WAWebCompanionRegClientUtils: () => ({ DEVICE_PLATFORM: cfg.devicePlatform }),
  WAWebUserPrefsInfoStore: () => ({
    waNoiseInfo: {
      get: async () => {
        await booted;
        const keys = requireKeys();
        return { staticKeyPair: { pubKey: keys.noisePub, privKey: keys.noisePriv } };
      },
    },
  }),
  WAWebSignalStoreApi: () => ({
    waSignalStore: {
      getRegistrationInfo: async () => {
        await booted;
        const keys = requireKeys();
        return { registrationId: keys.registrationId, identityKeyPair: { pubKey: keys.identityPub, privKey: keys.identityPriv } };
      },
    },
  }),
  // 1.34.7 reads the QR's ADV secret here, synchronously, once per QR.
  WAWebUserPrefsMultiDevice: () => ({ getADVSecretKey: () => requireKeys().advSecret }),
  // Pairing by phone number (requestPairingCode / cancelPairingCode).
  WAWebAltDeviceLinkingApi: () => ({
    setPairingType,
    initializeAltDeviceLinking: () => Promise.resolve(),
    startAltLinkingFlow: (phoneNumber: unknown, showNotification: unknown) => {
      log('alt-linking', { showNotification: Boolean(showNotification) });
      if (sim.pairingType !== 'ALT_DEVICE_LINKING') return Promise.reject(simError('startAltLinkingFlow before setPairingType'));
      try {
        return Promise.resolve(issuePairingCode(String(phoneNumber)));
      } catch (error) {
        return Promise.reject(asError(error));
      }
    },
    initializeQRLinking: () => {
      setPairingType('QR');
      return Promise.resolve();
    },
  }),
  WAWebLaunchSocketUtils: () => ({
    refreshQR: () => {
      if (!sim.pairing) showQr('WAWebLaunchSocketUtils.refreshQR');
    },
  }),
  // deviceName / browserName options only.
  WAWebMiscBrowserUtils: () => ({ info: () => ({ name: 'Chrome', version: '120.0.0.0', os: 'Linux' }) }),

  // ---- ready: ClientInfo, attachEventListeners ---------------------------------------------
  WAWebCollections: () => ({
    Msg: messages,
    Chat: chats,
    Contact: contacts,
    BusinessProfile: businessProfiles,
    GroupMetadata: groupMetadata,
    Call: calls,
    Label: labels,
    Status: statuses,
  }),
  WAWebUserPrefsMeUser: () => ({
    getMaybeMePnUser: meWid,
    getMaybeMeLidUser: meLid,
    getMaybeMeUser: meWid,
    getMeUser: () => {
      const wid = meWid();
      if (!wid) throw simError('not logged in');
      return wid;
    },
    isMeAccount: (wid: unknown) => {
      const key = toWid(wid)._serialized;
      return key === meWid()?._serialized || key === meLid()?._serialized;
    },
  }),
  // attachEventListeners turns placeholder resends on by assigning this function.
  WAWebSyncGatingUtils: () => ({ isPlaceholderMessageResendEnabled: () => false }),
  // A ciphertext message is asked for again 5 s after it arrived.
  WAWebNonMessageDataRequestPlaceholderMessageResendUtils: () => ({
    handlePlaceholderMsgsSeen: (msgs: Model[]) => handlePlaceholderMsgsSeen(msgs),
  }),
  WAWebStreamModel: () => ({ Stream: stream }),

  // ---- messages: Utils (getMessageModel, sendMessage, getChat, getNumberId) ----------------
  WAWebWid: () => Wid,
  WAWebWidFactory: () => ({
    createWid: (value: unknown) => toWid(value),
    createUserWid: (user: unknown, server?: string) => new Wid(`${String(user)}@${server ?? 'c.us'}`),
    createWidFromWidLike: (value: unknown) => toWid(value),
    asUserWidOrThrow: (value: unknown) => {
      const wid = toWid(value);
      if (!wid.isUser()) throw simError(`not a user wid: ${wid._serialized}`);
      return wid;
    },
    toUserWid: (value: unknown) => toWid(value),
    isWidlike: (value: unknown) => typeof (value as { _serialized?: unknown } | null)?._serialized === 'string',
  }),
  WAWebMsgKey: () => MsgKey,
  WALinkify: () => ({ findLinks, findLink: (text: unknown) => findLinks(text)[0] ?? null }),
  // Offline: no previews. Called only when a sent text contains a link.
  WAWebLinkPreviewChatAction: () => ({ getLinkPreview: () => Promise.resolve(null) }),
  WAWebSendMsgChatAction: () => ({ addAndSendMsgToChat }),
  WAWebFindChatAction: () => ({
    findOrCreateLatestChat: (wid: unknown) => {
      const target = toWid(wid);
      const hit = chats.get(target);
      return Promise.resolve({ chat: hit ?? chats.add({ id: target }), created: !hit });
    },
  }),
  WAWebChatGetters: () => ({
    getIsNewsletter: (chat: Model) => (chat?.get('id') as Wid | undefined)?.server === 'newsletter',
    getIsBroadcast: (chat: Model) => (chat?.get('id') as Wid | undefined)?.server === 'broadcast',
    getIsGroup: (chat: Model) => (chat?.get('id') as Wid | undefined)?.server === 'g.us',
    getIsUser: (chat: Model) => (chat?.get('id') as Wid | undefined)?.isUser() ?? false,
  }),
  WAWebGetEphemeralFieldsMsgActionsUtils: () => ({ getEphemeralFields: () => ({}) }),
  WAWebMsgReply: () => ({ canReplyMsg }),
  WAWebUpdateUnreadChatAction: () => ({ sendSeen }),
  WAWebQueryExistsJob: () => ({ queryWidExists }),
  WAWebContactGetters: () => ({
    getIsMe: (contact: Model) => toWid(contact.get('id'))._serialized === meWid()?._serialized,
    getIsUser: (contact: Model) => toWid(contact.get('id')).isUser(),
    getIsGroup: (contact: Model) => toWid(contact.get('id')).isGroup(),
    getIsWAContact: (contact: Model) => toWid(contact.get('id')).isUser(),
    getUserid: (contact: Model) => toWid(contact.get('id')).user,
    getIsEnterprise: (contact: Model) => Boolean(contact.get('isEnterprise')),
    getVerifiedName: (contact: Model) => contact.get('verifiedName'),
    getVerifiedLevel: (contact: Model) => contact.get('verifiedLevel'),
    getStatusMute: (contact: Model) => Boolean(contact.get('statusMute')),
    getName: (contact: Model) => contact.get('name'),
    getShortName: (contact: Model) => contact.get('shortName') ?? contact.get('name'),
    getPushname: (contact: Model) => contact.get('pushname'),
  }),
  WAWebFrontendContactGetters: () => ({
    getIsMyContact: (contact: Model) => Boolean(contact.get('name')),
    getFormattedName: (contact: Model) => (contact as unknown as { formattedName: string }).formattedName,
  }),

  // ---- media: Utils (processMediaData, processStickerData, toStickerData), Message.downloadMedia
  WAWebMediaOpaqueData: () => OpaqueData, // a class: createFromData() and instanceof
  WAWebPrepRawMedia: () => ({ prepRawMedia }),
  WAWebMediaStorage: () => ({ getOrCreateMediaObject }),
  WAWebMmsMediaTypes: () => ({ msgToMediaType, castToV4: (type: unknown) => type }),
  WAWebMediaDataUtils: () => ({ shouldUseMediaCache }),
  WAWebMediaInMemoryBlobCache: () => ({
    InMemoryMediaBlobCache: {
      put: (filehash: string, blob: Blob) => void blobCache.set(filehash, blob),
      get: (filehash: string) => blobCache.get(filehash),
      has: (filehash: string) => blobCache.has(filehash),
    },
  }),
  // uploadUnencryptedMedia is for channels, which are not simulated; the library destructures both.
  WAWebMediaMmsV4Upload: () => ({ uploadMedia, uploadUnencryptedMedia: uploadMedia }),
  WAWebUploadManager: () => ({ encryptAndUpload }),
  WAWebStartMediaUploadQpl: () => ({ startMediaUploadQpl: () => qpl() }),
  WAWebImageUtils: () => ({ toWebpSticker }),
  WAWebDownloadManager: () => ({ downloadManager: { downloadAndMaybeDecrypt } }),
};

/**
 * Modules 1.34.7 asks for that need only exist: `{}` is what the library expects to cope with
 * (spread into AuthStore, or guarded by `injectToFunction` / `typeof ... === 'function'`).
 * The drift test fails when the library asks for anything outside this list and `MODULES`.
 */
export const EXISTS_ONLY_MODULES: readonly string[] = [
  'WAWebAdvSignatureApi', // spread into AuthStore.RegistrationUtils; 1.34.6 read getADVSecretKey here
  'WAWebBackendJobsCommon', // injectToFunction(mediaTypeFromProtobuf): media
  'WAWebE2EProtoUtils', // injectToFunction(typeAttributeFromProtobuf): location/group invites
  'WAWebCallCollection', // incoming calls, hooked only when it has .on()
  'WAWebAddonReactionTableMode', // injectToFunction(reactionTableMode.bulkUpsert): reactions
  'WAWebAddonPollVoteTableMode', // injectToFunction(pollVoteTableMode.bulkUpsert): poll votes
];

// ---- the recording require ----------------------------------------------------------------

const requested: string[] = [];
const defaulted = new Set<string>();
const missingMembers: Record<string, string[]> = {};
const cache = new Map<string, object>();
/** Read by engines and libraries on any object; not a sign that the library wants something. */
const IGNORED_MEMBERS = new Set(['then', 'toJSON', 'constructor', '$$typeof', '__esModule', 'prototype', 'length', 'name', 'call', 'apply', 'bind']);

function recording(name: string, target: object): object {
  return new Proxy(target, {
    get(object, member, receiver) {
      if (typeof member === 'string' && !(member in object) && !IGNORED_MEMBERS.has(member)) {
        const list = (missingMembers[name] ??= []);
        if (!list.includes(member)) list.push(member);
      }
      return Reflect.get(object, member, receiver) as unknown;
    },
  });
}

export function simRequire(name: string): object {
  const key = String(name);
  if (!requested.includes(key)) requested.push(key);
  const hit = cache.get(key);
  if (hit) return hit;
  const factory = Object.prototype.hasOwnProperty.call(MODULES, key) ? MODULES[key] : undefined;
  if (!factory) defaulted.add(key);
  const module = recording(key, factory ? factory() : {});
  cache.set(key, module);
  return module;
}

export function requiredModules(): SimRequiredModules {
  return {
    requested: requested.slice(),
    defaulted: requested.filter((name) => defaulted.has(name)),
    implemented: Object.keys(MODULES),
    existsOnly: EXISTS_ONLY_MODULES.slice(),
    missingMembers: JSON.parse(JSON.stringify(missingMembers)) as Record<string, string[]>,
  };
}
