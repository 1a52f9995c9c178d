// openapi/wa-tether.yaml is the API's contract. These tests hold it to the app both ways: the
// routes Express serves and the operations the document lists are the same set, the document is
// valid OpenAPI 3.1, and the daemon serves it. That every answer matches it is checked wherever a
// test makes a request (test/support/contract-fetch.ts); the last tests here show that those
// checks do fail when the code and the document part.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, describe, it } from 'node:test';
import { parse } from 'yaml';
import { ERROR_CODES } from '../../src/http/error-handler';
import { OPENAPI_FILE } from '../../src/http/openapi-document';
import type { DemoPhonePort } from '../../src/http/app-deps';
import { once } from 'node:events';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { checkResponsesOf, ContractViolation } from '../support/contract-fetch';
import { ApiContract, apiContract } from '../support/openapi-contract';
import { servedOperations, type ServedOperation } from '../support/route-table';
import { buildTestApp, startApp, bearer, type TestApp } from './support/start-app';

const idle = async (): Promise<void> => {};
const demoPhone: DemoPhonePort = {
  view: async () => ({ reachable: true, paired: false, socketState: null, waitingFor: null, account: null, contact: '15550002222', messages: [] }),
  scan: idle,
  enterCode: idle,
  send: idle,
  logout: idle,
  dropConnection: idle,
};

/** The document checked by a real OpenAPI 3.1 validator (an ES module, hence the dynamic import). */
async function validateOpenApi(document: unknown): Promise<{ valid: boolean; errors: unknown }> {
  const { Validator } = await import('@seriousme/openapi-schema-validator');
  const result = await new Validator().validate(document as Parameters<InstanceType<typeof Validator>['validate']>[0]);
  return { valid: result.valid, errors: result.errors };
}

const key = (op: ServedOperation): string => `${op.method.toUpperCase()} ${op.path}`;

/** What the app serves and the document lacks, and the reverse. */
function drift(served: readonly ServedOperation[], documented: readonly ServedOperation[]): { undocumented: string[]; unserved: string[] } {
  const servedKeys = new Set(served.map(key));
  const documentedKeys = new Set(documented.map(key));
  return {
    undocumented: [...servedKeys].filter((k) => !documentedKeys.has(k)).sort(),
    unserved: [...documentedKeys].filter((k) => !servedKeys.has(k)).sort(),
  };
}

describe('the OpenAPI document', () => {
  let app: TestApp | null = null;
  afterEach(async () => {
    await app?.close();
    app = null;
  });

  it('is valid OpenAPI 3.1', async () => {
    const result = await validateOpenApi(parse(readFileSync(OPENAPI_FILE, 'utf8')));
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.match(String(apiContract().document.openapi), /^3\.1\./);
  });

  it('lists exactly the routes the app serves, demo routes as demo-only', () => {
    const documented = apiContract().operations();
    const plain = servedOperations(buildTestApp().app);
    const demo = servedOperations(buildTestApp({ overrides: { demo: { phone: demoPhone } } }).app);
    assert.deepEqual(drift(demo, documented), { undocumented: [], unserved: [] });
    const plainKeys = new Set(plain.map(key));
    const demoOnly = documented.filter((op) => op.demoOnly).map(key);
    assert.deepEqual(
      demo.map(key).filter((k) => !plainKeys.has(k)),
      demoOnly,
      'the operations marked x-demo-only are the ones only demo mode mounts',
    );
    assert.ok(plainKeys.has('POST /api/messages') && plainKeys.has('GET /api/openapi.json'), 'the walk reads the nested routers');
  });

  it('names every error code the daemon answers with, and no other', () => {
    const schema = apiContract().document as {
      components: { schemas: { Error: { properties: { error: { properties: { code: { enum: string[] } } } } } } };
    };
    assert.deepEqual([...schema.components.schemas.Error.properties.error.properties.code.enum].sort(), [...ERROR_CODES].sort());
  });

  it('is served at GET /api/openapi.json, to anyone, as the YAML says', async () => {
    app = await startApp();
    const res = await fetch(`${app.url}/api/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const served = (await res.json()) as object;
    assert.deepEqual(served, parse(readFileSync(OPENAPI_FILE, 'utf8')));
    assert.equal((await validateOpenApi(served)).valid, true);
    assert.ok(!JSON.stringify(served).includes('test-admin-token'), 'no secret in it');
  });
});

describe('the contract checks fail when code and document part', () => {
  it('a route added to the app without the document is reported, and so is a documented one that is gone', () => {
    const built = buildTestApp().app;
    built.get('/api/secret-new-route', (_req, res) => res.json({}));
    const { undocumented } = drift(servedOperations(built), apiContract().operations());
    assert.deepEqual(undocumented, ['GET /api/secret-new-route']);
    const documented = [...apiContract().operations(), { method: 'get' as const, path: '/api/gone', demoOnly: false }];
    assert.deepEqual(drift(servedOperations(buildTestApp({ overrides: { demo: { phone: demoPhone } } }).app), documented).unserved, [
      'GET /api/gone',
    ]);
  });

  it('a real answer with a field added, a field missing, a wrong type, an undocumented status or path is refused', async () => {
    const app = await startApp();
    try {
      const res = await fetch(`${app.url}/api/session/status`, { headers: bearer() });
      const body = (await res.json()) as Record<string, unknown>;
      const contract = apiContract();
      const seen = { method: 'GET', path: '/api/session/status', status: 200, headers: res.headers, json: body };
      assert.deepEqual(contract.checkResponse(seen), [], 'the real answer matches');
      assert.match(contract.checkResponse({ ...seen, json: { ...body, addedField: 1 } }).join(), /addedField/);
      const { clientId: _clientId, ...withoutClientId } = body;
      assert.match(contract.checkResponse({ ...seen, json: withoutClientId }).join(), /clientId/);
      assert.match(contract.checkResponse({ ...seen, json: { ...body, state: 'napping' } }).join(), /state/);
      assert.match(contract.checkResponse({ ...seen, status: 418 }).join(), /status 418 is not documented/);
      assert.match(contract.checkResponse({ ...seen, path: '/api/session/nowhere' }).join(), /not in the document/);
      assert.match(
        contract.checkResponse({ ...seen, status: 404, json: { error: { code: 'NOPE', message: 'x' } }, path: '/nowhere' }).join(),
        /code/,
      );
    } finally {
      await app.close();
    }
  });

  it('the test client itself rejects an answer off the document, where the request is made', async () => {
    // A server that answers like the daemon would if its health body drifted from the document.
    const drifted = express();
    drifted.get('/api/health', (_req, res) => res.type('application/health+json').send(JSON.stringify({ status: 'ok', whatsapp: 'ready' })));
    drifted.get('/api/brand-new', (_req, res) => res.json({}));
    const server = drifted.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const uncheck = checkResponsesOf(url);
    try {
      await assert.rejects(
        fetch(`${url}/api/health`),
        (error: Error) => error instanceof ContractViolation && /status|authenticated/.test(error.message),
      );
      await assert.rejects(
        fetch(`${url}/api/brand-new`),
        (error: Error) => error instanceof ContractViolation && /not in the document/.test(error.message),
      );
    } finally {
      uncheck();
      server.close();
    }
  });

  it('a webhook body with a field the document does not have, or of an unknown type, is refused', () => {
    const contract = new ApiContract(apiContract().document);
    const event = {
      type: 'message.status',
      timestamp: '2026-12-07T10:00:00.000Z',
      data: { id: 'msg_1', status: 'sent', waMessageId: 'true_1@c.us_A', error: null },
    };
    assert.deepEqual(contract.checkWebhookBody(event), []);
    assert.match(contract.checkWebhookBody({ ...event, data: { ...event.data, extra: true } }).join(), /extra/);
    assert.match(contract.checkWebhookBody({ ...event, type: 'message.deleted' }).join(), /not one of the document's webhooks/);
  });
});
