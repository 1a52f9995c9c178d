/*
 * wa-tether simulated WhatsApp Web page (in-page part).
 *
 * Plain browser JS, no imports. test/sim/page.ts inlines this file into the HTML that
 * whatsapp-web.js serves for https://web.whatsapp.com/ (LocalWebCache + request interception).
 * Configuration comes from window.__SIM_CONFIG__ (set by page.ts before this script) and can be
 * overridden at run time through window.__sim.configure(), which persists in IndexedDB.
 *
 * What it implements: window.Debug.VERSION, window.require(name) with the modules the
 * whatsapp-web.js 1.34.6 login / ready / text send+receive paths need, and window.__sim: the
 * control object tests use to "play the phone" (scan, remote logout, socket states, incoming
 * messages, outbox).
 *
 * Rules kept on purpose (see README.md "Traps"):
 *  - never use the history API (pushState/hash): puppeteer fires framenavigated and the
 *    library re-injects;
 *  - the only navigation is a reload of the exact URL https://web.whatsapp.com/;
 *  - hasSynced only flips once somebody listens to change:hasSynced (unless eagerSync).
 */
(function () {
  'use strict';

  var PAGE_URL = 'https://web.whatsapp.com/';
  var DEFAULTS = {
    version: '2.3000.1031000000',
    // QR: Conn.ref is rotated (change:ref) every qrRotateMs while UNPAIRED; 0 = never.
    qrRotateMs: 20000,
    // After that many rotations go to UNPAIRED_IDLE like the real page ("click to reload QR").
    // 0 = never. Note: whatsapp-web.js 1.34.6 cannot recover from UNPAIRED_IDLE.
    idleAfterQrs: 0,
    // Flip hasSynced right after CONNECTED, before the library listens (reproduces the hang).
    eagerSync: false,
    // Delay between "a change:hasSynced listener exists" and hasSynced=true.
    syncDelayMs: 300,
    // Delay between boot steps (UNLAUNCHED -> OPENING -> UNPAIRED|CONNECTED).
    bootDelayMs: 100,
    // Delay between pairing steps after a scan (PAIRING -> OPENING -> CONNECTED).
    pairStepMs: 150,
    // Remote logout: Cmd 'logout' is triggered, then the page reloads after this delay.
    logoutReloadDelayMs: 500,
    takeoverDelayMs: 150,
    // Outgoing messages get ack=1 (server) after this delay; <0 = never.
    ackDelayMs: 50,
    // 5th part of the QR string (RegistrationUtils.DEVICE_PLATFORM).
    devicePlatform: 'WEB',
    // Conn.platform (the phone's platform).
    phonePlatform: 'android',
    dbName: 'wa-sim',
    verbose: false,
  };
  // Keys that window.__sim.configure() may change at run time (persisted in IndexedDB).
  var RUNTIME_KEYS = ['qrRotateMs', 'idleAfterQrs', 'eagerSync', 'syncDelayMs', 'bootDelayMs', 'pairStepMs',
    'logoutReloadDelayMs', 'takeoverDelayMs', 'ackDelayMs', 'verbose'];

  var cfg = Object.assign({}, DEFAULTS, window.__SIM_CONFIG__ || {});

  // The very first thing the library polls for ('window.Debug?.VERSION != undefined').
  window.Debug = { VERSION: cfg.version };

  // ---------------------------------------------------------------- log / errors
  var eventLog = [];
  var pageErrors = [];
  var T0 = Date.now();
  function log(kind, data) {
    var e = Object.assign({ at: Date.now() - T0, kind: kind }, data || {});
    eventLog.push(e);
    if (eventLog.length > 1000) eventLog.shift();
    if (cfg.verbose) console.log('[sim] ' + kind + ' ' + JSON.stringify(data || {}));
  }
  function describeError(err) {
    if (err && typeof err === 'object') return String(err.stack || err.message || err);
    return String(err);
  }
  function recordError(where, err) {
    var e = { at: Date.now() - T0, where: where, error: describeError(err) };
    pageErrors.push(e);
    if (pageErrors.length > 200) pageErrors.shift();
    console.error('[sim] error in ' + where + ': ' + e.error);
  }
  window.addEventListener('error', function (ev) { recordError('window.onerror', ev.error || ev.message); });
  window.addEventListener('unhandledrejection', function (ev) { recordError('unhandledrejection', ev.reason); });

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function simError(msg) {
    // NB: the library replaces window.Error on every new document (isOfficialClient patch);
    // never subclass Error / use instanceof Error in this file.
    return new Error('[sim] ' + msg);
  }

  // ---------------------------------------------------------------- Backbone-ish events
  var EV = '__simEvents';
  function splitNames(names) { return String(names).split(/\s+/).filter(Boolean); }
  function callListener(where, cb, ctx, args) {
    try {
      var r = cb.apply(ctx, args);
      if (r && typeof r.then === 'function') r.then(null, function (err) { recordError(where + ' (async)', err); });
    } catch (err) {
      recordError(where, err);
    }
  }

  class Emitter {
    constructor() {
      Object.defineProperty(this, EV, { value: Object.create(null), enumerable: false });
    }
    on(names, cb, ctx) {
      if (typeof cb !== 'function') return this;
      var self = this;
      splitNames(names).forEach(function (n) {
        (self[EV][n] || (self[EV][n] = [])).push({ cb: cb, ctx: ctx });
        self._onListen(n);
      });
      return this;
    }
    once(names, cb, ctx) {
      var self = this;
      splitNames(names).forEach(function (n) {
        var wrapper = function () { self.off(n, wrapper); return cb.apply(ctx || this, arguments); };
        wrapper._orig = cb;
        self.on(n, wrapper, ctx);
      });
      return this;
    }
    off(names, cb) {
      var self = this;
      var list = names ? splitNames(names) : Object.keys(this[EV]);
      list.forEach(function (n) {
        if (!self[EV][n]) return;
        self[EV][n] = cb ? self[EV][n].filter(function (l) { return l.cb !== cb && l.cb._orig !== cb; }) : [];
      });
      return this;
    }
    listenerCount(name) { return (this[EV][name] || []).length; }
    trigger(name) {
      var args = Array.prototype.slice.call(arguments, 1);
      var self = this;
      (this[EV][name] || []).slice().forEach(function (l) { callListener(name, l.cb, l.ctx || self, args); });
      (this[EV].all || []).slice().forEach(function (l) { callListener('all:' + name, l.cb, l.ctx || self, [name].concat(args)); });
      return this;
    }
    _onListen(_name) { /* hook */ }
  }

  // Model: attributes are exposed as own accessor properties (msg.body, chat.unreadCount) like WA's
  // models; set() fires change:<attr> (model, value, previous) and change (model). Events bubble
  // to every collection the model is in, so Store.Msg.on('change:ack') works.
  class Model extends Emitter {
    constructor(attrs) {
      super();
      Object.defineProperty(this, 'attributes', { value: {}, enumerable: false });
      Object.defineProperty(this, '__colls', { value: new Set(), enumerable: false });
      if (attrs) this.set(attrs, undefined, { silent: true });
    }
    get(k) { return this.attributes[k]; }
    set(key, val, opts) {
      var attrs;
      if (key && typeof key === 'object') { attrs = key; opts = val; } else { attrs = {}; attrs[key] = val; }
      opts = opts || {};
      var changed = [];
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k)) continue;
        ensureAccessor(this, k);
        var prev = this.attributes[k];
        if (prev !== attrs[k] || !(k in this.attributes)) {
          this.attributes[k] = attrs[k];
          changed.push([k, attrs[k], prev]);
        }
      }
      if (!opts.silent && changed.length) {
        var self = this;
        changed.forEach(function (c) { self.trigger('change:' + c[0], self, c[1], c[2]); });
        this.trigger('change', this);
      }
      return this;
    }
    trigger(name) {
      Emitter.prototype.trigger.apply(this, arguments);
      var args = arguments;
      this.__colls.forEach(function (c) { Emitter.prototype.trigger.apply(c, args); });
      return this;
    }
    serialize() { return Object.assign({}, this.attributes); }
  }
  function ensureAccessor(obj, k) {
    if (Object.prototype.hasOwnProperty.call(obj, k)) return;
    Object.defineProperty(obj, k, {
      get: function () { return this.attributes[k]; },
      set: function (v) { this.set(k, v); },
      enumerable: true,
      configurable: true,
    });
  }

  function keyOf(id) {
    if (id == null) return undefined;
    if (typeof id === 'string') return id;
    if (typeof id._serialized === 'string') return id._serialized;
    if (id.id != null && typeof id.id === 'object') return keyOf(id.id);
    return String(id);
  }

  class Collection extends Emitter {
    constructor(modelClass, name, createFn) {
      super();
      this.modelClass = modelClass;
      this._models = [];
      Object.defineProperty(this, '_index', { value: new Map(), enumerable: false });
      Object.defineProperty(this, '_name', { value: name, enumerable: false });
      Object.defineProperty(this, '_create', { value: createFn || null, enumerable: false });
    }
    get length() { return this._models.length; }
    get(id) { return this._index.get(keyOf(id)); }
    has(id) { return this._index.has(keyOf(id)); }
    add(models, opts) {
      var single = !Array.isArray(models);
      var list = single ? [models] : models;
      var self = this;
      var out = list.map(function (m) {
        if (!(m instanceof Model)) m = new self.modelClass(m);
        var k = keyOf(m.id);
        var existing = self._index.get(k);
        if (existing) return existing;
        self._models.push(m);
        self._index.set(k, m);
        m.__colls.add(self);
        if (!(opts && opts.silent)) self.trigger('add', m, self, opts || {});
        return m;
      });
      return single ? out[0] : out;
    }
    remove(models, opts) {
      var single = !Array.isArray(models);
      var list = single ? [models] : models;
      var self = this;
      var out = list.map(function (m) {
        var model = self.get(m instanceof Model ? m.id : m);
        if (!model) return undefined;
        self._index.delete(keyOf(model.id));
        self._models = self._models.filter(function (x) { return x !== model; });
        model.__colls.delete(self);
        if (!(opts && opts.silent)) self.trigger('remove', model, self, opts || {});
        return model;
      });
      return single ? out[0] : out;
    }
    // get-or-add (WA's gadd)
    gadd(idOrAttrs, opts) {
      var attrs = (idOrAttrs && idOrAttrs.id !== undefined && !(typeof idOrAttrs._serialized === 'string')) ? idOrAttrs : { id: idOrAttrs };
      return this.get(attrs.id) || this.add(attrs, opts);
    }
    // WA collections' find() is async "get or fetch".
    find(id) {
      var hit = this.get(id);
      if (hit) return Promise.resolve(hit);
      if (this._create) return Promise.resolve(this._create(id));
      return Promise.resolve(undefined);
    }
    getModelsArray() { return this._models.slice(); }
    toArray() { return this._models.slice(); }
    forEach(fn) { return this._models.slice().forEach(fn); }
    map(fn) { return this._models.map(fn); }
    filter(fn) { return this._models.filter(fn); }
    at(i) { return this._models[i]; }
    serialize() { return this._models.map(function (m) { return m.serialize(); }); }
    update(id) { return Promise.resolve(this.get(id)); }
  }

  // ---------------------------------------------------------------- ids
  class Wid {
    constructor(s) {
      if (typeof s !== 'string') throw simError('Wid: expected a string, got ' + typeof s);
      var at = s.indexOf('@');
      if (at <= 0) throw simError('Wid: invalid id ' + JSON.stringify(s));
      var user = s.slice(0, at);
      var server = s.slice(at + 1);
      if (server === 's.whatsapp.net') server = 'c.us';
      this.server = server;
      this.user = user;
      this._serialized = user + '@' + server;
    }
    isUser() { return this.server === 'c.us' || this.server === 'lid'; }
    isLid() { return this.server === 'lid'; }
    isGroup() { return this.server === 'g.us'; }
    isBroadcast() { return this.server === 'broadcast'; }
    isStatus() { return this.user === 'status' && this.server === 'broadcast'; }
    isNewsletter() { return this.server === 'newsletter'; }
    isBot() { return this.server === 'bot'; }
    isServer() { return this.server === 'c.us' && this.user === 'server'; }
    toString() { return this._serialized; }
    toJid() { return this.user + '@' + (this.server === 'c.us' ? 's.whatsapp.net' : this.server); }
    equals(o) { return !!o && keyOf(o) === this._serialized; }
  }
  function toWid(x) {
    if (x instanceof Wid) return x;
    if (x && typeof x === 'object' && typeof x._serialized === 'string') return new Wid(x._serialized);
    var s = String(x);
    if (s.indexOf('@') < 0) s = s.replace(/^\+/, '') + '@c.us';
    return new Wid(s);
  }

  class MsgKey {
    constructor(o) {
      if (!o) throw simError('MsgKey: missing options');
      var fromMe = o.fromMe !== undefined ? !!o.fromMe : o.selfDir === 'out';
      var remote = o.remote || (fromMe ? o.to : o.from);
      if (!remote) throw simError('MsgKey: missing remote');
      if (!o.id) throw simError('MsgKey: missing id');
      remote = toWid(remote);
      this.fromMe = fromMe;
      this.remote = remote;
      this.id = o.id;
      if (o.participant) this.participant = toWid(o.participant);
      this._serialized = fromMe + '_' + remote._serialized + '_' + o.id +
        (this.participant ? '_' + this.participant._serialized : '');
    }
    toString() { return this._serialized; }
    equals(o) { return !!o && keyOf(o) === this._serialized; }
    static newId() { return Promise.resolve(MsgKey.newId_DEPRECATED()); }
    static newId_DEPRECATED() { return '3EB0' + randomHex(8); }
    static fromString(s) {
      var parts = String(s).split('_');
      return new MsgKey({ fromMe: parts[0] === 'true', remote: parts[1], id: parts[2], participant: parts[3] });
    }
  }

  function randomBytes(n) { var b = new Uint8Array(n); crypto.getRandomValues(b); return b; }
  function randomHex(nBytes) {
    return Array.prototype.map.call(randomBytes(nBytes), function (x) { return ('0' + x.toString(16)).slice(-2); }).join('').toUpperCase();
  }
  function encodeB64(data) {
    var bytes = data instanceof Uint8Array ? data : new Uint8Array(data && data.buffer ? data.buffer : data);
    var s = '';
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  }
  function decodeB64(s) {
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // ---------------------------------------------------------------- IndexedDB (origin https://web.whatsapp.com)
  var KV = 'kv';
  var dbPromise = null;
  function openDb() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      var req = indexedDB.open(cfg.dbName, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(KV); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
      req.onblocked = function () { reject(simError('indexedDB.open blocked')); };
    });
    return dbPromise;
  }
  function idbGet(key) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(KV, 'readonly');
        var req = tx.objectStore(KV).get(key);
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    });
  }
  function idbWrite(fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(KV, 'readwrite', { durability: 'strict' });
        fn(tx.objectStore(KV));
        tx.oncomplete = function () { resolve(); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error || simError('transaction aborted')); };
      });
    });
  }
  function idbPut(key, value) { return idbWrite(function (st) { st.put(value, key); }); }
  function idbDel(keys) { return idbWrite(function (st) { [].concat(keys).forEach(function (k) { st.delete(k); }); }); }

  // ---------------------------------------------------------------- sim state
  var sim = {
    booted: false,
    pairing: null,          // { me: {user, pushname, lid}, pairedAt }
    keys: null,             // { noisePub, noisePriv, identityPub, identityPriv, advSecret, registrationId }
    qrCount: 0,
    qrTimer: null,
    syncTimer: null,
    syncing: false,
    outbox: [],
    pending: [],            // incoming messages waiting for a connected + listening client
    seen: [],
    takeovers: 0,
    logouts: 0,
    reloadScheduled: false,
    stateRequests: 0,
    stateApplied: 0,
  };
  var bootResolve;
  var bootPromise = new Promise(function (r) { bootResolve = r; });

  // ---------------------------------------------------------------- models
  class Socket extends Model {
    _onListen(name) {
      if (name === 'change:hasSynced') {
        log('listen', { on: 'Socket', event: name, count: this.listenerCount(name) });
        // The library registers this listener only at the end of inject(): sync now.
        setTimeout(function () { scheduleSync('listener'); }, 0);
      } else if (name === 'change:state') {
        log('listen', { on: 'Socket', event: name, count: this.listenerCount(name) });
      }
    }
    takeover() {
      sim.takeovers++;
      log('takeover', { from: this.state });
      setTimeout(function () { setState('CONNECTED'); }, cfg.takeoverDelayMs);
      return Promise.resolve();
    }
    // client.logout() calls window.Store.AppState.logout(): same as an unlink from the phone.
    logout() { return unlink('AppState.logout'); }
    reconnect() { setState('CONNECTED'); }
    poke() { setState('CONNECTED'); }
  }
  var SocketInst = new Socket({ state: 'UNLAUNCHED', hasSynced: false, stream: 'DISCONNECTED' });

  class Conn extends Model {}
  var ConnInst = new Conn({ ref: undefined, refTTL: 20000, wid: undefined, pushname: undefined,
    platform: cfg.phonePlatform, phone: {}, battery: undefined, plugged: undefined, isSMB: false });

  class CmdClass extends Emitter {
    // Not reachable from whatsapp-web.js 1.34.6 (it calls Store.Cmd.refreshQR() in Node context);
    // kept so a page-side caller can leave UNPAIRED_IDLE.
    refreshQR() { if (!sim.pairing) showQr('Cmd.refreshQR'); }
    logout() { return unlink('Cmd.logout'); }
  }
  var CmdInst = new CmdClass();

  var offlineProgress = 0;
  var OfflineMessageHandler = {
    getOfflineDeliveryProgress: function () { return offlineProgress; },
  };

  class Stream extends Model {
    markAvailable() { this.available = true; }
    markUnavailable() { this.available = false; }
  }
  var StreamInst = new Stream({ available: false, mode: 'MAIN', displayInfo: 'NORMAL' });

  class Msg extends Model {
    unsafe() { return this; }
    safe() { return this; }
    canReply() { return canReplyMsg(this); }
    msgContextInfo(chat) {
      var info = {
        quotedMsg: { type: this.type, body: this.body },
        quotedStanzaID: this.id.id,
        quotedParticipant: this.author || this.from,
      };
      if (chat && chat.id && keyOf(chat.id) !== keyOf(this.id.remote)) info.quotedRemoteJid = this.id.remote;
      return info;
    }
    get mediaObject() { return undefined; }
  }
  class Contact extends Model {
    get formattedName() { return this.name || this.pushname || ('+' + this.id.user); }
  }
  class Chat extends Model {
    constructor(attrs) {
      super(Object.assign({ t: 0, unreadCount: 0, archive: false, pin: 0, isReadOnly: false, muteExpiration: 0,
        notSpam: true, lastReceivedKey: undefined }, attrs));
      Object.defineProperty(this, 'msgs', { value: new Collection(Msg, 'ChatMsgs'), enumerable: false });
      Object.defineProperty(this, 'mute', { value: { expiration: 0 }, enumerable: false });
    }
    get formattedTitle() {
      var c = ContactColl.get(this.id);
      return c ? c.formattedName : ('+' + this.id.user);
    }
    get contact() { return ContactColl.get(this.id); }
    serialize() {
      var o = Model.prototype.serialize.call(this);
      o.msgs = this.msgs.map(function (m) { return m.id._serialized; });
      return o;
    }
  }
  class BizProfile extends Model {}
  class Plain extends Model {}

  var MsgColl = new Collection(Msg, 'Msg');
  MsgColl.getMessagesById = function (ids) {
    return Promise.resolve({ messages: [].concat(ids).map(function (id) { return MsgColl.get(id); }).filter(Boolean) });
  };
  MsgColl._onListen = function (name) {
    if (name === 'add') { log('listen', { on: 'Msg', event: name, count: this.listenerCount(name) }); setTimeout(flushPending, 0); }
  };
  var ContactColl = new Collection(Contact, 'Contact', function (id) {
    var wid = toWid(id);
    return ContactColl.add({ id: wid, type: 'in', isBusiness: false, isEnterprise: false, labels: [], statusMute: false });
  });
  ContactColl.getMeContact = function () { var me = meWid(); return me ? ContactColl.get(me) : undefined; };
  var ChatColl = new Collection(Chat, 'Chat', function (id) { return ChatColl.add({ id: toWid(id) }); });
  var BusinessProfileColl = new Collection(BizProfile, 'BusinessProfile');
  BusinessProfileColl.fetchBizProfile = function (wid) {
    return Promise.resolve(BusinessProfileColl.get(wid) || new BizProfile({ id: toWid(wid) }));
  };
  var GroupMetadataColl = new Collection(Plain, 'GroupMetadata');
  var CallColl = new Collection(Plain, 'Call');
  var LabelColl = new Collection(Plain, 'Label');
  var StatusColl = new Collection(Plain, 'Status');

  function meWid() {
    var me = sim.pairing && sim.pairing.me;
    return me ? new Wid(me.user + '@c.us') : undefined;
  }
  function meLid() {
    var me = sim.pairing && sim.pairing.me;
    return me && me.lid ? new Wid(me.lid + '@lid') : undefined;
  }
  function canReplyMsg(msg) {
    return !!msg && msg.type !== 'revoked' && msg.type !== 'ciphertext';
  }

  // ---------------------------------------------------------------- state machine
  function setState(s) {
    var prev = SocketInst.state;
    log('state', { from: prev, to: s });
    SocketInst.set({ state: s, stream: s === 'CONNECTED' ? 'CONNECTED' : 'DISCONNECTED' });
    render();
    if (s === 'CONNECTED') { scheduleSync('state'); flushPending(); }
  }

  function newRef() { return '2@' + encodeB64(randomBytes(60)); }

  function showQr(why) {
    stopQrTimer();
    sim.qrCount = 0;
    ConnInst.set('ref', newRef());
    log('qr', { why: why, ref: ConnInst.ref.slice(0, 12) });
    setState('UNPAIRED');
    startQrTimer();
  }
  function startQrTimer() {
    stopQrTimer();
    if (cfg.qrRotateMs > 0) {
      sim.qrTimer = setInterval(function () {
        if (SocketInst.state !== 'UNPAIRED' || sim.pairing) { stopQrTimer(); return; }
        sim.qrCount++;
        if (cfg.idleAfterQrs > 0 && sim.qrCount >= cfg.idleAfterQrs) {
          stopQrTimer();
          setState('UNPAIRED_IDLE');
          return;
        }
        ConnInst.set('ref', newRef()); // change:ref -> the library emits a new 'qr'
        log('qr-rotate', { n: sim.qrCount, ref: ConnInst.ref.slice(0, 12) });
        render();
      }, cfg.qrRotateMs);
    }
  }
  function stopQrTimer() { if (sim.qrTimer) { clearInterval(sim.qrTimer); sim.qrTimer = null; } }

  // hasSynced flips once the library listens for it (or immediately in eagerSync mode).
  function scheduleSync(why) {
    if (!sim.pairing || SocketInst.state !== 'CONNECTED' || SocketInst.hasSynced || sim.syncing) return;
    if (cfg.eagerSync) {
      log('sync', { why: why, eager: true, listeners: SocketInst.listenerCount('change:hasSynced') });
      offlineProgress = 100;
      SocketInst.hasSynced = true;
      render();
      return;
    }
    if (SocketInst.listenerCount('change:hasSynced') === 0) {
      log('sync-wait', { why: why, note: 'no change:hasSynced listener yet' });
      return;
    }
    sim.syncing = true;
    log('sync-start', { why: why, delayMs: cfg.syncDelayMs });
    var steps = [0, 50, 100];
    steps.forEach(function (p, i) {
      setTimeout(function () {
        offlineProgress = p;
        CmdInst.trigger('offline_progress_update');
      }, Math.floor(cfg.syncDelayMs * i / steps.length));
    });
    sim.syncTimer = setTimeout(function () {
      sim.syncing = false;
      if (!sim.pairing || SocketInst.state !== 'CONNECTED') { log('sync-abort', { state: SocketInst.state }); return; }
      log('sync', { why: why, eager: false });
      SocketInst.hasSynced = true;
      render();
      flushPending();
    }, cfg.syncDelayMs);
  }

  function applyMe(me) {
    ConnInst.set({ wid: new Wid(me.user + '@c.us'), pushname: me.pushname, platform: cfg.phonePlatform });
    var meContact = ContactColl.gadd({ id: new Wid(me.user + '@c.us') });
    meContact.set({ pushname: me.pushname, name: me.pushname, type: 'in' }, undefined);
  }

  function normalizeMe(me) {
    me = me || {};
    var user = String(me.user || '15550001111').replace(/^\+/, '').replace(/@.*$/, '');
    if (!/^\d+$/.test(user)) throw simError('scan: me.user must be digits, got ' + JSON.stringify(me.user));
    var lid = me.lid ? String(me.lid).replace(/@.*$/, '') : String(100000000000000 + Math.floor(Math.random() * 899999999999999));
    return { user: user, pushname: me.pushname == null ? 'Sim Phone' : String(me.pushname), lid: lid };
  }

  async function scan(me) {
    await bootPromise;
    if (sim.pairing) throw simError('scan: already paired as ' + sim.pairing.me.user);
    if (SocketInst.state !== 'UNPAIRED') throw simError('scan: no QR on screen (Socket state ' + SocketInst.state + ')');
    var m = normalizeMe(me);
    stopQrTimer();
    var scannedRef = ConnInst.ref;
    sim.pairing = { me: m, pairedAt: Date.now(), ref: scannedRef };
    await idbPut('pairing', sim.pairing);
    applyMe(m);
    log('scan', { me: m, ref: String(scannedRef).slice(0, 12) });
    (async function () {
      await sleep(cfg.pairStepMs);
      setState('PAIRING');
      await sleep(cfg.pairStepMs);
      setState('OPENING');
      await sleep(cfg.pairStepMs);
      setState('CONNECTED');
    })().catch(function (e) { recordError('scan steps', e); });
    return { ok: true, me: m, ref: scannedRef };
  }

  async function unlink(why) {
    await bootPromise;
    if (sim.reloadScheduled) return { ok: true, alreadyScheduled: true };
    sim.logouts++;
    log('unlink', { why: why, paired: !!sim.pairing });
    stopQrTimer();
    if (sim.syncTimer) clearTimeout(sim.syncTimer);
    // 1. wipe the paired state (device keys too: a new install generates new ones)
    await idbDel(['pairing', 'keys', 'pending']);
    sim.pairing = null;
    // 2. tell the app (whatsapp-web.js listens: onLogoutEvent -> lastLoggedOut = true)
    CmdInst.trigger('logout');
    // 3. reload the exact URL (NOT /?post_logout=1, which is not served offline)
    sim.reloadScheduled = true;
    setTimeout(function () { location.reload(); }, cfg.logoutReloadDelayMs);
    render();
    return { ok: true, reloadInMs: cfg.logoutReloadDelayMs };
  }

  // ---------------------------------------------------------------- messages
  function outboxEntry(msg) {
    var quoted = null;
    if (msg.quotedStanzaID) {
      quoted = MsgColl.filter(function (m) { return m.id.id === msg.quotedStanzaID; })[0] || null;
    }
    return {
      id: msg.id._serialized,
      to: keyOf(msg.to),
      from: keyOf(msg.from),
      body: msg.body,
      type: msg.type,
      t: msg.t,
      ack: msg.ack,
      quotedStanzaID: msg.quotedStanzaID || null,
      quotedMsgId: quoted ? quoted.id._serialized : null,
      quotedBody: quoted ? quoted.body : null,
      mentionedJidList: (msg.mentionedJidList || []).map(keyOf),
      at: Date.now(),
    };
  }
  function persistOutbox() { idbPut('outbox', sim.outbox).catch(function (e) { recordError('persist outbox', e); }); }

  function addAndSendMsgToChat(chat, attrs) {
    var msg = new Msg(Object.assign({ star: false, broadcast: false, isForwarded: false, forwardingScore: 0,
      mentionedJidList: [], groupMentions: [] }, attrs));
    chat.msgs.add(msg);
    MsgColl.add(msg);
    chat.t = msg.t;
    var entry = outboxEntry(msg);
    sim.outbox.push(entry);
    persistOutbox();
    log('send', { to: entry.to, id: entry.id, body: String(entry.body).slice(0, 40) });
    render();
    var msgPromise = Promise.resolve(msg);
    var resultPromise = new Promise(function (resolve) {
      if (cfg.ackDelayMs < 0) { resolve({ messageSendResult: 'OK' }); return; }
      setTimeout(function () {
        if (SocketInst.state === 'CONNECTED') setAck(msg, 1);
        resolve({ messageSendResult: 'OK', t: msg.t });
      }, cfg.ackDelayMs);
    });
    return [msgPromise, resultPromise];
  }
  function setAck(msg, ack) {
    msg.ack = ack;
    sim.outbox.forEach(function (e) { if (e.id === msg.id._serialized) e.ack = ack; });
    persistOutbox();
  }

  function canDeliver() {
    return !!sim.pairing && SocketInst.state === 'CONNECTED' && SocketInst.hasSynced && MsgColl.listenerCount('add') > 0;
  }
  function flushPending() {
    if (!canDeliver() || !sim.pending.length) return;
    var list = sim.pending.splice(0);
    idbDel('pending').catch(function (e) { recordError('persist pending', e); });
    list.forEach(deliver);
  }
  function deliver(rec) {
    var me = meWid();
    var fromWid = new Wid(rec.from);
    var contact = ContactColl.gadd({ id: fromWid, type: 'in', isBusiness: false, isEnterprise: false, labels: [], statusMute: false });
    if (rec.notifyName) contact.pushname = rec.notifyName;
    var chat = ChatColl.get(fromWid) || ChatColl.add({ id: fromWid });
    var key = new MsgKey({ from: fromWid, to: me, id: rec.id, selfDir: 'in' });
    var msg = new Msg({
      id: key,
      type: rec.ciphertext ? 'ciphertext' : 'chat',
      body: rec.ciphertext ? undefined : rec.body,
      t: rec.t,
      from: fromWid,
      to: me,
      self: 'in',
      ack: 1,
      isNewMsg: true,
      local: false,
      notifyName: rec.notifyName,
      star: false,
      broadcast: false,
      isForwarded: false,
      forwardingScore: 0,
      mentionedJidList: [],
      groupMentions: [],
      isStatusV3: false,
    });
    chat.msgs.add(msg);
    MsgColl.add(msg); // -> 'add' with isNewMsg: the library emits message_create + message
    chat.set({ t: rec.t, lastReceivedKey: key, unreadCount: (chat.unreadCount || 0) + 1 });
    log('deliver', { id: key._serialized, from: rec.from, body: String(rec.body).slice(0, 40) });
    if (rec.ciphertext) {
      setTimeout(function () { msg.set({ type: 'chat', body: rec.body }); }, 100);
    }
    render();
    return msg;
  }

  // ---------------------------------------------------------------- window.require
  var requested = [];
  var requestedSet = new Set();
  var defaulted = new Set();
  var missingMembers = {};
  var moduleCache = new Map();
  var IGNORED_MEMBERS = new Set(['then', 'toJSON', 'constructor', '$$typeof', '__esModule', 'prototype', 'length', 'name']);

  function wrapModule(name, target) {
    return new Proxy(target, {
      get: function (t, prop, recv) {
        if (typeof prop === 'string' && !(prop in t) && !IGNORED_MEMBERS.has(prop)) {
          var list = missingMembers[name] || (missingMembers[name] = []);
          if (list.indexOf(prop) < 0) list.push(prop);
        }
        return Reflect.get(t, prop, recv);
      },
    });
  }

  var MODULES = {
    // --- login (AuthStore.js)
    WAWebSocketModel: function () { return { Socket: SocketInst }; },
    WAWebCmd: function () { return { Cmd: CmdInst }; },
    WAWebConnModel: function () { return { Conn: ConnInst }; },
    WAWebOfflineHandler: function () { return { OfflineMessageHandler: OfflineMessageHandler }; },
    WABase64: function () { return { encodeB64: encodeB64, decodeB64: decodeB64 }; },
    WAWebCompanionRegClientUtils: function () { return { DEVICE_PLATFORM: cfg.devicePlatform }; },
    WAWebAdvSignatureApi: function () {
      return { getADVSecretKey: function () { return bootPromise.then(function () { return sim.keys.advSecret; }); } };
    },
    WAWebUserPrefsInfoStore: function () {
      return { waNoiseInfo: { get: function () { return bootPromise.then(function () {
        return { staticKeyPair: { pubKey: sim.keys.noisePub, privKey: sim.keys.noisePriv } };
      }); } } };
    },
    WAWebSignalStoreApi: function () {
      return { waSignalStore: { getRegistrationInfo: function () { return bootPromise.then(function () {
        return { registrationId: sim.keys.registrationId, identityKeyPair: { pubKey: sim.keys.identityPub, privKey: sim.keys.identityPriv } };
      }); } } };
    },
    // setDeviceName() (only with deviceName/browserName options)
    WAWebMiscBrowserUtils: function () {
      return { info: function () { return { name: 'Chrome', version: '120.0.0.0', os: 'Linux' }; } };
    },
    // --- ready (Store.js + Client.js onAppStateHasSyncedEvent + attachEventListeners)
    WAWebCollections: function () {
      return { Msg: MsgColl, Chat: ChatColl, Contact: ContactColl, BusinessProfile: BusinessProfileColl,
        GroupMetadata: GroupMetadataColl, Call: CallColl, Label: LabelColl, Status: StatusColl };
    },
    WAWebUserPrefsMeUser: function () {
      return {
        getMaybeMePnUser: meWid,
        getMaybeMeLidUser: meLid,
        getMaybeMeUser: meWid,
        getMeUser: function () { var w = meWid(); if (!w) throw simError('not logged in'); return w; },
        isMeAccount: function (w) { var me = meWid(); var lid = meLid(); var k = keyOf(w); return !!me && (k === me._serialized || (!!lid && k === lid._serialized)); },
      };
    },
    WAWebL10N: function () { return { getRegion: function () { return 'US'; }, getLocale: function () { return 'en'; } }; },
    WAWebAddonReactionTableMode: function () {
      return { reactionTableMode: { bulkUpsert: function (rows) { return Promise.resolve(rows); } } };
    },
    WAWebAddonPollVoteTableMode: function () {
      return { pollVoteTableMode: { bulkUpsert: function (rows) { return Promise.resolve(rows); } } };
    },
    WAWebContactCollection: function () { return { ContactCollection: ContactColl }; },
    WAWebStreamModel: function () { return { Stream: StreamInst }; },
    // --- text send / receive (Utils.js)
    WAWebWid: function () { return Wid; },
    WAWebWidFactory: function () {
      return {
        createWid: function (s) { return toWid(s); },
        createUserWid: function (user, server) { return new Wid(String(user) + '@' + (server || 'c.us')); },
        createWidFromWidLike: function (w) { return toWid(w); },
        asUserWidOrThrow: function (w) { var x = toWid(w); if (!x.isUser()) throw simError('not a user wid: ' + x); return x; },
        toUserWid: function (w) { return toWid(w); },
        isWidlike: function (w) { return !!w && typeof w._serialized === 'string'; },
      };
    },
    WAWebMsgKey: function () { return MsgKey; },
    WALinkify: function () {
      var RE = /\b((?:https?:\/\/|www\.)[^\s<>"']+)/gi;
      function findLinks(text) {
        if (typeof text !== 'string' || !text) return [];
        var out = [];
        var m;
        RE.lastIndex = 0;
        while ((m = RE.exec(text))) {
          var url = m[1].replace(/[).,!?]+$/, '');
          out.push({ href: /^https?:/i.test(url) ? url : 'http://' + url, url: url, index: m.index, suspiciousCharacters: undefined });
        }
        return out;
      }
      return { findLinks: findLinks, findLink: function (t) { return findLinks(t)[0] || null; } };
    },
    WAWebLinkPreviewChatAction: function () {
      return { getLinkPreview: function () { return Promise.resolve(null); } }; // offline: no previews
    },
    WAWebSendMsgChatAction: function () { return { addAndSendMsgToChat: addAndSendMsgToChat }; },
    WAWebFindChatAction: function () {
      return {
        findOrCreateLatestChat: function (wid) {
          var w = toWid(wid);
          var hit = ChatColl.get(w);
          return Promise.resolve({ chat: hit || ChatColl.add({ id: w }), created: !hit });
        },
      };
    },
    WAWebChatGetters: function () {
      return {
        getIsNewsletter: function (c) { return !!c && !!c.id && c.id.server === 'newsletter'; },
        getIsBroadcast: function (c) { return !!c && !!c.id && c.id.server === 'broadcast'; },
        getIsGroup: function (c) { return !!c && !!c.id && c.id.server === 'g.us'; },
        getIsUser: function (c) { return !!c && !!c.id && (c.id.server === 'c.us' || c.id.server === 'lid'); },
      };
    },
    WAWebGetEphemeralFieldsMsgActionsUtils: function () { return { getEphemeralFields: function () { return {}; } }; },
    WAWebMsgReply: function () { return { canReplyMsg: canReplyMsg }; },
    WAWebUpdateUnreadChatAction: function () {
      return {
        sendSeen: function (o) {
          var chat = o && o.chat;
          if (chat) {
            sim.seen.push({ chat: keyOf(chat.id), at: Date.now() });
            chat.unreadCount = 0;
          }
          return Promise.resolve();
        },
      };
    },
    WAWebContactGetters: function () {
      return {
        getIsMe: function (c) { var me = meWid(); return !!me && keyOf(c.id) === me._serialized; },
        getIsUser: function (c) { return c.id.isUser(); },
        getIsGroup: function (c) { return c.id.isGroup(); },
        getIsWAContact: function (c) { return c.id.isUser(); },
        getIsMyContact: function (c) { return !!c.name; },
        getUserid: function (c) { return c.id.user; },
        getIsEnterprise: function (c) { return !!c.isEnterprise; },
        getVerifiedName: function (c) { return c.verifiedName; },
        getVerifiedLevel: function (c) { return c.verifiedLevel; },
        getStatusMute: function (c) { return !!c.statusMute; },
        getName: function (c) { return c.name; },
        getShortName: function (c) { return c.shortName || c.name; },
        getPushname: function (c) { return c.pushname; },
      };
    },
    WAWebFrontendContactGetters: function () {
      return { getFormattedName: function (c) { return c.formattedName; } };
    },
  };

  function simRequire(name) {
    name = String(name);
    if (!requestedSet.has(name)) { requestedSet.add(name); requested.push(name); }
    if (moduleCache.has(name)) return moduleCache.get(name);
    var target;
    if (Object.prototype.hasOwnProperty.call(MODULES, name)) {
      target = MODULES[name]();
    } else {
      defaulted.add(name);
      target = {};
    }
    var mod = wrapModule(name, target);
    moduleCache.set(name, mod);
    return mod;
  }
  window.require = simRequire;

  // ---------------------------------------------------------------- visible page (for screenshots / humans)
  var renderQueued = false;
  function render() {
    if (renderQueued) return;
    renderQueued = true;
    setTimeout(function () {
      renderQueued = false;
      var el = document.getElementById('sim-status');
      if (!el) return;
      var s = SocketInst.state;
      el.textContent = 'state=' + s + ' hasSynced=' + SocketInst.hasSynced +
        (sim.pairing ? ' me=' + sim.pairing.me.user : '') +
        (s === 'UNPAIRED' ? ' qr=' + String(ConnInst.ref).slice(0, 16) + '...' : '') +
        ' sent=' + sim.outbox.length;
    }, 0);
  }

  // ---------------------------------------------------------------- control object
  function listenerSummary() {
    return {
      socketChangeState: SocketInst.listenerCount('change:state'),
      socketChangeHasSynced: SocketInst.listenerCount('change:hasSynced'),
      connChangeRef: ConnInst.listenerCount('change:ref'),
      cmdLogout: CmdInst.listenerCount('logout'),
      cmdOfflineProgress: CmdInst.listenerCount('offline_progress_update'),
      msgAdd: MsgColl.listenerCount('add'),
      msgChangeAck: MsgColl.listenerCount('change:ack'),
      chatChangeUnreadCount: ChatColl.listenerCount('change:unreadCount'),
    };
  }
  function clone(x) { return JSON.parse(JSON.stringify(x === undefined ? null : x)); }

  window.__sim = {
    version: cfg.version,
    whenBooted: function () { return bootPromise.then(function () { return true; }); },
    state: function () {
      return {
        booted: sim.booted,
        url: location.href,
        version: cfg.version,
        socketState: SocketInst.state,
        hasSynced: SocketInst.hasSynced,
        paired: !!sim.pairing,
        me: sim.pairing ? clone(sim.pairing.me) : null,
        qrRef: SocketInst.state === 'UNPAIRED' ? ConnInst.ref : null,
        qrCount: sim.qrCount,
        eagerSync: !!cfg.eagerSync,
        listeners: listenerSummary(),
        storeInjected: typeof window.Store !== 'undefined',
        authStoreInjected: typeof window.AuthStore !== 'undefined',
        wwebjsInjected: typeof window.WWebJS !== 'undefined',
        outboxCount: sim.outbox.length,
        pendingIncoming: sim.pending.length,
        takeovers: sim.takeovers,
        logouts: sim.logouts,
        reloadScheduled: sim.reloadScheduled,
        errorCount: pageErrors.length,
        uptimeMs: Date.now() - T0,
      };
    },
    config: function () { return clone(cfg); },
    configure: async function (patch) {
      await bootPromise;
      var stored = (await idbGet('config')) || {};
      Object.keys(patch || {}).forEach(function (k) {
        if (RUNTIME_KEYS.indexOf(k) < 0) throw simError('configure: unknown/immutable key ' + k);
        stored[k] = patch[k];
        cfg[k] = patch[k];
      });
      await idbPut('config', stored);
      log('configure', { patch: patch });
      if ('qrRotateMs' in (patch || {}) && SocketInst.state === 'UNPAIRED' && !sim.pairing) startQrTimer();
      return clone(cfg);
    },
    scan: function (me) { return scan(me); },
    remoteLogout: function () {
      if (!sim.pairing) return Promise.reject(simError('remoteLogout: not paired'));
      return unlink('remoteLogout');
    },
    setSocketState: function (s) {
      var allowed = ['OPENING', 'PAIRING', 'UNLAUNCHED', 'UNPAIRED', 'UNPAIRED_IDLE', 'CONNECTED', 'TIMEOUT',
        'CONFLICT', 'DEPRECATED_VERSION', 'PROXYBLOCK', 'TOS_BLOCK', 'SMB_TOS_BLOCK'];
      if (allowed.indexOf(s) < 0) throw simError('setSocketState: unknown state ' + s);
      // Applied on the next task, not inside this call: the library may react to a state by
      // closing the browser (client.destroy()), which would otherwise kill the caller's evaluate.
      var id = ++sim.stateRequests;
      setTimeout(function () { setState(s); sim.stateApplied = id; }, 0);
      return { request: id, from: SocketInst.state, to: s };
    },
    stateRequestApplied: function (id) { return sim.stateApplied >= id; },
    incoming: function (o) {
      if (!o || o.body == null || !o.from) throw simError('incoming: {from, body} required');
      if (!sim.pairing) throw simError('incoming: not paired');
      var rec = {
        from: toWid(o.from)._serialized,
        body: String(o.body),
        id: o.id || randomHex(16),  // 32 hex chars: looks like a message from an Android phone
        t: o.t || Math.floor(Date.now() / 1000),
        notifyName: o.notifyName,
        ciphertext: !!o.ciphertext,
      };
      if (!rec.from.endsWith('@c.us')) throw simError('incoming: only 1:1 chats (…@c.us) are simulated, got ' + rec.from);
      var expectedId = 'false_' + rec.from + '_' + rec.id;
      if (!canDeliver()) {
        sim.pending.push(rec);
        idbPut('pending', sim.pending).catch(function (e) { recordError('persist pending', e); });
        log('incoming-queued', { id: expectedId });
        return { queued: true, id: expectedId };
      }
      var msg = deliver(rec);
      return { queued: false, id: msg.id._serialized };
    },
    ack: function (msgId, level) {
      var msg = MsgColl.get(msgId);
      if (!msg) throw simError('ack: unknown message ' + msgId);
      setAck(msg, level);
      return true;
    },
    outbox: function () { return clone(sim.outbox); },
    clearOutbox: function () { sim.outbox = []; persistOutbox(); return true; },
    seen: function () { return clone(sim.seen); },
    requiredModules: function () {
      return {
        requested: requested.slice(),
        defaulted: requested.filter(function (n) { return defaulted.has(n); }),
        implemented: Object.keys(MODULES),
        missingMembers: clone(missingMembers),
      };
    },
    log: function () { return clone(eventLog); },
    errors: function () { return clone(pageErrors); },
  };

  // ---------------------------------------------------------------- boot
  async function boot() {
    var stored = await Promise.all(['config', 'keys', 'pairing', 'outbox', 'pending'].map(idbGet));
    var storedCfg = stored[0] || {};
    Object.keys(storedCfg).forEach(function (k) { if (RUNTIME_KEYS.indexOf(k) >= 0) cfg[k] = storedCfg[k]; });
    sim.keys = stored[1];
    if (!sim.keys) {
      sim.keys = {
        noisePub: randomBytes(32), noisePriv: randomBytes(32),
        identityPub: randomBytes(32), identityPriv: randomBytes(32),
        advSecret: encodeB64(randomBytes(32)),
        registrationId: 1 + Math.floor(Math.random() * 16380),
      };
      await idbPut('keys', sim.keys);
    }
    sim.pairing = stored[2] || null;
    sim.outbox = stored[3] || [];
    sim.pending = stored[4] || [];
    if (sim.pairing) applyMe(sim.pairing.me);
    log('boot', { paired: !!sim.pairing, eagerSync: !!cfg.eagerSync, pending: sim.pending.length });
    sim.booted = true;
    bootResolve();
    await sleep(cfg.bootDelayMs);
    setState('OPENING');
    await sleep(cfg.bootDelayMs);
    if (sim.pairing) setState('CONNECTED');
    else showQr('boot');
  }
  boot().catch(function (e) { recordError('boot', e); });
})();
