import type express from 'express';

/** What Express 5's router (the `router` package, 2.x) keeps of each `use` and route. */
interface RouterLayer {
  readonly name: string;
  readonly rawPath?: unknown;
  readonly route?: { readonly path: string; readonly methods: Readonly<Record<string, boolean>> };
  readonly handle: unknown;
}

/** A method on a path, in the document's spelling: `get /api/messages/{id}`. */
export interface ServedOperation {
  readonly method: string;
  readonly path: string;
}

const stackOf = (handle: unknown): readonly RouterLayer[] | null => {
  const stack = (handle as { stack?: unknown } | null)?.stack;
  return typeof handle === 'function' && Array.isArray(stack) ? (stack as RouterLayer[]) : null;
};

/** `/api/messages/:id` as OpenAPI writes it. */
const toTemplate = (path: string): string => path.replace(/:(\w+)/g, '{$1}');

function walk(stack: readonly RouterLayer[], prefix: string, out: ServedOperation[]): void {
  for (const layer of stack) {
    const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
    if (layer.route !== undefined) {
      // `router.all(path, methodNotAllowed(...))` answers 405 for the methods a path lacks: not an operation.
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && method !== '_all') out.push({ method, path: toTemplate(prefix + layer.route.path) });
      }
      continue;
    }
    const nested = stackOf(layer.handle);
    if (nested !== null) walk(nested, prefix + mount, out);
    // express.static under a mount point serves the files below it.
    else if (layer.name === 'serveStatic') out.push({ method: 'get', path: `${prefix}${mount}/{file}` });
  }
}

/** Every method and path the app answers, read off its router (nested routers and static mounts included). */
export function servedOperations(app: express.Express): ServedOperation[] {
  const out: ServedOperation[] = [];
  walk(stackOf((app as unknown as { router: unknown }).router) ?? [], '', out);
  const seen = new Set<string>();
  return out.filter((op) => {
    const key = `${op.method} ${op.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
