/**
 * The paired state, kept in IndexedDB for the origin https://web.whatsapp.com, so it lives in
 * the Chromium profile on disk like the real keys: a restarted client on the same profile comes
 * up paired, and a wiped profile forgets the pairing.
 */
import { simError } from './trace';

const STORE = 'kv';
let opened: Promise<IDBDatabase> | null = null;
let databaseName = 'wa-sim';

export function useDatabase(name: string): void {
  databaseName = name;
}

function openDb(): Promise<IDBDatabase> {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(databaseName, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(simError('indexedDB.open blocked'));
  });
  return opened;
}

export async function idbGet<T>(key: string): Promise<T | undefined> {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const request = db.transaction(STORE, 'readonly').objectStore(STORE).get(key);
    request.onsuccess = () => resolve(request.result as T | undefined);
    request.onerror = () => reject(request.error);
  });
}

async function write(apply: (store: IDBObjectStore) => void): Promise<void> {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    // strict: the write is on disk when the transaction completes, so a kill right after keeps it.
    const tx = db.transaction(STORE, 'readwrite', { durability: 'strict' });
    apply(tx.objectStore(STORE));
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? simError('transaction aborted'));
  });
}

export function idbPut(key: string, value: unknown): Promise<void> {
  return write((store) => store.put(value, key));
}

export function idbDelete(keys: readonly string[]): Promise<void> {
  return write((store) => {
    for (const key of keys) store.delete(key);
  });
}
