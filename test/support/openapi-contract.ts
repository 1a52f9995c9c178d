/**
 * The API contract (openapi/wa-tether.yaml) as the tests hold the daemon to it: a response is
 * checked against the document's schema for its route and status, a webhook body against the
 * document's `webhooks:`. Ajv compiles the document's own schemas (JSON Schema 2020-12, as
 * OpenAPI 3.1 uses them); nothing here restates a shape by hand.
 */
import { readFileSync } from 'node:fs';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { OPENAPI_FILE } from '../../src/http/openapi-document';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
type HttpMethod = (typeof HTTP_METHODS)[number];

type JsonObject = { readonly [key: string]: unknown };

/** One operation of the document: `GET /api/messages/{id}`. */
export interface DocumentedOperation {
  readonly method: HttpMethod;
  readonly path: string;
  readonly demoOnly: boolean;
}

/** A response as the test client saw it. */
export interface SeenResponse {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly headers: Headers;
  /** The body parsed as JSON when the response is JSON; undefined when it was not read. */
  readonly json?: unknown;
  /** The body's length in bytes, when it was read. */
  readonly bodyBytes?: number;
}

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const escapePointer = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');
const isJson = (mediaType: string): boolean => mediaType === 'application/json' || mediaType.endsWith('+json');

function describeErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 5)
    .map(
      (e) =>
        `${e.instancePath || '(body)'} ${e.message ?? ''}${e.keyword === 'additionalProperties' ? ` '${String(e.params.additionalProperty)}'` : ''}`,
    )
    .join('; ');
}

/** `/api/messages/{id}` as a pattern over concrete paths; literal segments win over parameters. */
function templatePattern(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '([^/]+)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

export class ApiContract {
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: ReadonlyArray<{ readonly template: string; readonly pattern: RegExp; readonly literal: boolean }>;

  constructor(readonly document: JsonObject) {
    // strict: a typo in a schema keyword is an error, not a schema that accepts everything.
    this.ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(this.ajv);
    // OpenAPI's own keywords inside schema objects: annotations, not assertions.
    this.ajv.addKeyword('example');
    this.ajv.addKeyword('x-demo-only');
    // The document is added whole, so its `#/components/...` references resolve as written; its
    // top-level keys (openapi, info, paths, ...) are no schema keywords, only its schemas are.
    for (const key of Object.keys(document)) if (!this.ajv.getKeyword(key)) this.ajv.addKeyword(key);
    this.ajv.addSchema(document, 'openapi');
    this.templates = Object.keys(this.paths()).map((template) => ({
      template,
      pattern: templatePattern(template),
      literal: !template.includes('{'),
    }));
  }

  static load(file: string = OPENAPI_FILE): ApiContract {
    return new ApiContract(parse(readFileSync(file, 'utf8')) as JsonObject);
  }

  private paths(): JsonObject {
    const paths = this.document.paths;
    return isObject(paths) ? paths : {};
  }

  /** Follows a `$ref` inside the document; returns the object and its JSON pointer. */
  private resolve(value: unknown, pointer: string): { readonly node: JsonObject; readonly pointer: string } | null {
    if (!isObject(value)) return null;
    const ref = value.$ref;
    if (typeof ref !== 'string') return { node: value, pointer };
    if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, not ${ref}`);
    let node: unknown = this.document;
    for (const segment of ref.slice(2).split('/')) {
      const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
      node = isObject(node) ? node[key] : undefined;
    }
    return this.resolve(node, ref.slice(1));
  }

  private validator(pointer: string): ValidateFunction {
    let validate = this.validators.get(pointer);
    if (validate === undefined) {
      validate = this.ajv.getSchema(`openapi#${pointer}`);
      if (validate === undefined) throw new Error(`no schema at ${pointer} in ${OPENAPI_FILE}`);
      this.validators.set(pointer, validate);
    }
    return validate;
  }

  /** Validates a value against the schema at a JSON pointer of the document; the problems, or []. */
  validate(pointer: string, value: unknown): string[] {
    const validate = this.validator(pointer);
    return validate(value) ? [] : [describeErrors(validate.errors)];
  }

  /** Every operation the document describes. */
  operations(): DocumentedOperation[] {
    return Object.entries(this.paths()).flatMap(([path, item]) =>
      HTTP_METHODS.flatMap((method) => {
        const operation = isObject(item) ? item[method] : undefined;
        return isObject(operation) ? [{ method, path, demoOnly: operation['x-demo-only'] === true }] : [];
      }),
    );
  }

  /** The documented path a concrete path falls under, or null. */
  templateOf(path: string): string | null {
    const matches = this.templates.filter((t) => t.pattern.test(path));
    return (matches.find((t) => t.literal) ?? matches[0])?.template ?? null;
  }

  /** What is wrong with a response, by the document; [] when nothing is. */
  checkResponse(seen: SeenResponse): string[] {
    const where = `${seen.method} ${seen.path} -> ${seen.status}`;
    const template = this.templateOf(seen.path);
    const errorBody = (status: number, why: string): string[] => {
      if (seen.status !== status) return [`${where}: ${why}, so the answer should be ${status}`];
      return seen.json === undefined ? [] : this.validate('/components/schemas/Error', seen.json).map((p) => `${where}: ${p}`);
    };
    if (template === null) return errorBody(404, 'the path is not in the document');
    // HEAD is answered by the GET route, without a body.
    const method = (seen.method === 'HEAD' ? 'get' : seen.method.toLowerCase()) as HttpMethod;
    const itemPointer = `/paths/${escapePointer(template)}`;
    const item = this.resolve(this.paths()[template], itemPointer);
    if (item === null || !isObject(item.node[method])) return errorBody(405, `${seen.method} is not documented on ${template}`);

    const responses = this.resolve(item.node[method], `${itemPointer}/${method}`);
    const table = responses === null ? null : this.resolve(responses.node.responses, `${responses.pointer}/responses`);
    const key = [String(seen.status), `${String(seen.status)[0]}XX`, 'default'].find((k) => table !== null && k in table.node);
    if (table === null || key === undefined) return [`${where}: status ${seen.status} is not documented for ${seen.method} ${template}`];
    const response = this.resolve(table.node[key], `${table.pointer}/${key}`);
    if (response === null) return [`${where}: the response ${key} of ${template} is not an object`];

    const problems = this.checkHeaders(where, response.node, seen.headers);
    const content = isObject(response.node.content) ? response.node.content : null;
    const mediaType = (seen.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (content === null) {
      if (seen.bodyBytes !== undefined && seen.bodyBytes > 0)
        problems.push(`${where}: the document says no body, the answer has ${seen.bodyBytes} bytes`);
      return problems;
    }
    if (seen.method === 'HEAD') return problems;
    const documented = Object.keys(content).find((type) => type.toLowerCase() === mediaType || type === '*/*');
    if (documented === undefined) return [...problems, `${where}: Content-Type '${mediaType}' is not one of ${Object.keys(content).join(', ')}`];
    if (seen.json !== undefined && isJson(mediaType)) {
      const schemaPointer = `${response.pointer}/content/${escapePointer(documented)}/schema`;
      problems.push(...this.validate(schemaPointer, seen.json).map((p) => `${where}: ${p}`));
    }
    return problems;
  }

  private checkHeaders(where: string, response: JsonObject, headers: Headers): string[] {
    const documented = isObject(response.headers) ? response.headers : {};
    return Object.entries(documented).flatMap(([name, header]) =>
      isObject(header) && header.required === true && !headers.has(name) ? [`${where}: the header ${name} is missing`] : [],
    );
  }

  /**
   * What is wrong with a webhook's body, by the document's `webhooks:` entry named after its
   * `type`; [] when nothing is.
   */
  checkWebhookBody(body: unknown): string[] {
    const type = isObject(body) && typeof body.type === 'string' ? body.type : null;
    const webhooks = isObject(this.document.webhooks) ? this.document.webhooks : {};
    if (type === null || !(type in webhooks))
      return [`webhook body: the type ${String(type)} is not one of the document's webhooks (${Object.keys(webhooks).join(', ')})`];
    const item = this.resolve(webhooks[type], `/webhooks/${escapePointer(type)}`);
    const post = item === null ? null : this.resolve(item.node.post, `${item.pointer}/post`);
    const requestBody = post === null ? null : this.resolve(post.node.requestBody, `${post.pointer}/requestBody`);
    if (requestBody === null) return [`webhook body: the webhook ${type} documents no request body`];
    return this.validate(`${requestBody.pointer}/content/application~1json/schema`, body).map((p) => `webhook ${type}: ${p}`);
  }
}

let shared: ApiContract | null = null;

/** The repository's document, loaded once per test process. */
export function apiContract(): ApiContract {
  shared ??= ApiContract.load();
  return shared;
}
