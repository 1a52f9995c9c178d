/**
 * Every answer the tests get from a daemon is held to the API contract. The harnesses that
 * start one (the HTTP suite's app, the e2e Daemon) register its origin; from then on each
 * `fetch` to it in this process has its response checked against openapi/wa-tether.yaml, and a
 * response the document does not describe rejects the fetch with a ContractViolation, so the
 * test that made the request fails where it made it.
 */
import { apiContract, type SeenResponse } from './openapi-contract';

export class ContractViolation extends Error {
  constructor(problems: readonly string[]) {
    super(`The answer does not match openapi/wa-tether.yaml:\n- ${problems.join('\n- ')}`);
    this.name = 'ContractViolation';
  }
}

const checkedOrigins = new Map<string, number>();
let installed = false;

function requestOf(input: string | URL | Request, init: RequestInit | undefined): { url: string; method: string } {
  if (input instanceof Request) return { url: input.url, method: (init?.method ?? input.method).toUpperCase() };
  return { url: String(input), method: (init?.method ?? 'GET').toUpperCase() };
}

/** What the checker needs of a response; JSON bodies are read from a clone, streams never. */
async function seen(method: string, url: URL, response: Response): Promise<SeenResponse> {
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const base = { method, path: url.pathname, status: response.status, headers: response.headers };
  const json = mediaType === 'application/json' || mediaType.endsWith('+json');
  if (method === 'HEAD' || (!json && response.headers.has('content-type'))) return base;
  const text = await response.clone().text();
  if (!json) return { ...base, bodyBytes: Buffer.byteLength(text) };
  try {
    return { ...base, json: JSON.parse(text) as unknown, bodyBytes: Buffer.byteLength(text) };
  } catch {
    throw new ContractViolation([
      `${method} ${url.pathname} -> ${response.status}: the body is not JSON although the Content-Type says ${mediaType}`,
    ]);
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  const plain = globalThis.fetch;
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const response = await plain(input, init);
    const request = requestOf(input, init);
    // After redirects, the answer is the last URL's.
    const url = new URL(response.url === '' ? request.url : response.url);
    if (!checkedOrigins.has(url.origin)) return response;
    const problems = apiContract().checkResponse(await seen(request.method, url, response));
    if (problems.length > 0) throw new ContractViolation(problems);
    return response;
  };
}

/**
 * Checks every response from `baseUrl`'s origin against the document until the returned
 * function is called (the server is gone and its port may serve something else next).
 */
export function checkResponsesOf(baseUrl: string): () => void {
  install();
  const origin = new URL(baseUrl).origin;
  checkedOrigins.set(origin, (checkedOrigins.get(origin) ?? 0) + 1);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    const left = (checkedOrigins.get(origin) ?? 1) - 1;
    if (left > 0) checkedOrigins.set(origin, left);
    else checkedOrigins.delete(origin);
  };
}
