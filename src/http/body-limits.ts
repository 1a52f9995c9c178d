import express, { type RequestHandler } from 'express';

const BODY_LIMIT = '16kb';

/**
 * JSON bodies are parsed (malformed -> 400); any other body is read and dropped. Both stop
 * at 16 kB (-> 413), so no route, not even one that ignores its body, reads an unbounded one.
 */
export function createBodyLimits(): RequestHandler[] {
  return [express.json({ limit: BODY_LIMIT, strict: true }), express.raw({ limit: BODY_LIMIT, type: () => true })];
}
