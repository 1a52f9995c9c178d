/**
 * The Backbone-like models and collections WhatsApp Web's modules expose: `on/off/once` with
 * space-separated event names, `change:<attr>` events with `(model, value, previous)`, model
 * events bubbling to every collection holding the model, attributes readable as properties.
 */
import { recordError } from './trace';

type Listener = (...args: unknown[]) => unknown;
interface Registration {
  readonly cb: Listener;
  readonly ctx: unknown;
}
type Once = Listener & { original?: Listener };

function names(list: string): string[] {
  return String(list).split(/\s+/).filter(Boolean);
}

function callListener(where: string, cb: Listener, ctx: unknown, args: unknown[]): void {
  try {
    const result = cb.apply(ctx, args);
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(undefined, (error: unknown) => recordError(`${where} (async)`, error));
    }
  } catch (error) {
    recordError(where, error);
  }
}

export class Emitter {
  private readonly registry = new Map<string, Registration[]>();

  constructor() {
    // The library spreads models into plain objects (`{...mediaData}`): only attributes are enumerable.
    Object.defineProperty(this, 'registry', { enumerable: false });
  }

  on(list: string, cb: Listener, ctx?: unknown): this {
    if (typeof cb !== 'function') return this;
    for (const name of names(list)) {
      const entries = this.registry.get(name) ?? [];
      entries.push({ cb, ctx });
      this.registry.set(name, entries);
      this.onListen(name);
    }
    return this;
  }

  once(list: string, cb: Listener, ctx?: unknown): this {
    for (const name of names(list)) {
      const wrapper: Once = (...args: unknown[]) => {
        this.off(name, wrapper);
        return cb.apply(ctx ?? this, args);
      };
      wrapper.original = cb;
      this.on(name, wrapper, ctx);
    }
    return this;
  }

  off(list?: string, cb?: Listener): this {
    const targets = list ? names(list) : [...this.registry.keys()];
    for (const name of targets) {
      const entries = this.registry.get(name);
      if (!entries) continue;
      this.registry.set(name, cb ? entries.filter((entry) => entry.cb !== cb && (entry.cb as Once).original !== cb) : []);
    }
    return this;
  }

  listenerCount(name: string): number {
    return this.registry.get(name)?.length ?? 0;
  }

  trigger(name: string, ...args: unknown[]): this {
    for (const { cb, ctx } of (this.registry.get(name) ?? []).slice()) callListener(name, cb, ctx ?? this, args);
    for (const { cb, ctx } of (this.registry.get('all') ?? []).slice()) callListener(`all:${name}`, cb, ctx ?? this, [name, ...args]);
    return this;
  }

  /** Called whenever a listener is added; the page uses it to react to the library subscribing. */
  protected onListen(_name: string): void {}
}

export type Attributes = Record<string, unknown>;

export class Model extends Emitter {
  [attribute: string]: unknown;
  readonly attributes: Attributes = {};
  readonly collections = new Set<Collection<Model>>();

  constructor(attrs?: Attributes) {
    super();
    Object.defineProperty(this, 'attributes', { enumerable: false });
    Object.defineProperty(this, 'collections', { enumerable: false });
    if (attrs) this.set(attrs, { silent: true });
  }

  get(key: string): unknown {
    return this.attributes[key];
  }

  set(attrs: Attributes, options: { silent?: boolean } = {}): this {
    const changed: Array<[string, unknown, unknown]> = [];
    for (const [key, value] of Object.entries(attrs)) {
      exposeAttribute(this, key);
      const previous = this.attributes[key];
      if (previous !== value || !(key in this.attributes)) {
        this.attributes[key] = value;
        changed.push([key, value, previous]);
      }
    }
    if (!options.silent && changed.length > 0) {
      for (const [key, value, previous] of changed) this.trigger(`change:${key}`, this, value, previous);
      this.trigger('change', this);
    }
    return this;
  }

  override trigger(name: string, ...args: unknown[]): this {
    super.trigger(name, ...args);
    for (const collection of this.collections) Emitter.prototype.trigger.call(collection, name, ...args);
    return this;
  }

  serialize(): Attributes {
    return { ...this.attributes };
  }
}

function exposeAttribute(model: Model, key: string): void {
  if (Object.prototype.hasOwnProperty.call(model, key)) return;
  Object.defineProperty(model, key, {
    get(this: Model) {
      return this.attributes[key];
    },
    set(this: Model, value: unknown) {
      this.set({ [key]: value });
    },
    enumerable: true,
    configurable: true,
  });
}

/** The key a model is filed under: a string id, or the `_serialized` of a Wid or MsgKey. */
export function keyOf(id: unknown): string | undefined {
  if (id === null || id === undefined) return undefined;
  if (typeof id === 'string') return id;
  const serialized = (id as { _serialized?: unknown })._serialized;
  if (typeof serialized === 'string') return serialized;
  const inner = (id as { id?: unknown }).id;
  if (inner !== null && typeof inner === 'object') return keyOf(inner);
  // A number or boolean id; any other object has no key (its String() would be "[object Object]").
  return typeof id === 'number' || typeof id === 'bigint' || typeof id === 'boolean' ? String(id) : undefined;
}

export class Collection<M extends Model> extends Emitter {
  private models: M[] = [];
  private readonly index = new Map<string, M>();

  constructor(
    readonly modelClass: new (attrs?: Attributes) => M,
    private readonly create: ((id: unknown) => M) | null = null,
  ) {
    super();
  }

  get length(): number {
    return this.models.length;
  }

  get(id: unknown): M | undefined {
    const key = keyOf(id);
    return key === undefined ? undefined : this.index.get(key);
  }

  has(id: unknown): boolean {
    return this.get(id) !== undefined;
  }

  add(input: M | Attributes, options: { silent?: boolean } = {}): M {
    const model: M = input instanceof Model ? input : new this.modelClass(input);
    const key = keyOf(model.get('id'));
    const existing = key === undefined ? undefined : this.index.get(key);
    if (existing) return existing;
    this.models.push(model);
    if (key !== undefined) this.index.set(key, model);
    model.collections.add(this);
    if (!options.silent) this.trigger('add', model, this, options);
    return model;
  }

  remove(id: unknown): M | undefined {
    const model = this.get(id instanceof Model ? id.get('id') : id);
    if (!model) return undefined;
    const key = keyOf(model.get('id'));
    if (key !== undefined) this.index.delete(key);
    this.models = this.models.filter((candidate) => candidate !== model);
    model.collections.delete(this);
    this.trigger('remove', model, this, {});
    return model;
  }

  /** WhatsApp's collections' `find` is an async "get, or fetch from the server". */
  find(id: unknown): Promise<M | undefined> {
    const hit = this.get(id);
    if (hit) return Promise.resolve(hit);
    return Promise.resolve(this.create ? this.create(id) : undefined);
  }

  getModelsArray(): M[] {
    return this.models.slice();
  }

  toArray(): M[] {
    return this.models.slice();
  }

  forEach(fn: (model: M) => void): void {
    this.models.slice().forEach(fn);
  }

  map<T>(fn: (model: M) => T): T[] {
    return this.models.map(fn);
  }

  filter(fn: (model: M) => boolean): M[] {
    return this.models.filter(fn);
  }

  serialize(): Attributes[] {
    return this.models.map((model) => model.serialize());
  }

  update(id: unknown): Promise<M | undefined> {
    return Promise.resolve(this.get(id));
  }
}
