/**
 * The paired state, kept in IndexedDB for the origin https://web.whatsapp.com, so it lives in
 * the Chromium profile on disk like the real keys: a restarted client on the same profile comes
 * up paired, and a wiped profile forgets the pairing.
 *
 * Two stores: `kv` (pairing, keys, config, outbox, pending) and `media` (the simulated CDN's
 * files, Blobs keyed by directPath: IndexedDB keeps a Blob without copying it into a string).
 */
import { asError, simError } from './trace';

type StoreName = 'kv' | 'media';
const STORES: readonly StoreName[] = ['kv', 'media'];
/** 2: the `media` store. A profile written at version 1 is upgraded in place (its `kv` kept). */
const VERSION = 2;
let opened: Promise<IDBDatabase> | null = null;
let databaseName = 'wa-sim';

export function useDatabase(name: string): void {
  databaseName = name;
}

function openDb(): Promise<IDBDatabase> {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(databaseName, VERSION);
    request.onupgradeneeded = () => {
      for (const store of STORES) if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(asError(request.error));
    request.onblocked = () => reject(simError('indexedDB.open blocked'));
  });
  return opened;
}

async function read<T>(store: StoreName, key: string): Promise<T | undefined> {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const request = db.transaction(store, 'readonly').objectStore(store).get(key);
    request.onsuccess = () => resolve(request.result as T | undefined);
    request.onerror = () => reject(asError(request.error));
  });
}

async function write(store: StoreName, apply: (objects: IDBObjectStore) => void): Promise<void> {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    // strict: the write is on disk when the transaction completes, so a kill right after keeps it.
    const tx = db.transaction(store, 'readwrite', { durability: 'strict' });
    apply(tx.objectStore(store));
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(asError(tx.error));
    tx.onabort = () => reject(tx.error ? asError(tx.error) : simError('transaction aborted'));
  });
}

export function idbGet<T>(key: string): Promise<T | undefined> {
  return read<T>('kv', key);
}

export function idbPut(key: string, value: unknown): Promise<void> {
  return write('kv', (store) => store.put(value, key));
}

export function idbDelete(keys: readonly string[]): Promise<void> {
  return write('kv', (store) => {
    for (const key of keys) store.delete(key);
  });
}

export function mediaGet<T>(key: string): Promise<T | undefined> {
  return read<T>('media', key);
}

export function mediaPut(key: string, value: unknown): Promise<void> {
  return write('media', (store) => store.put(value, key));
}

export function mediaDelete(keys: readonly string[]): Promise<void> {
  return write('media', (store) => {
    for (const key of keys) store.delete(key);
  });
}
