import express, { type RequestHandler } from 'express';

const BODY_LIMIT = '16kb';
/** A text of 65,536 characters, each up to 6 bytes once escaped in JSON, fits. */
export const MESSAGE_BODY_LIMIT = '1mb';

/**
 * JSON bodies are parsed (malformed -> 400); any other body is read and dropped. Both stop
 * at 16 kB (-> 413), so no route, not even one that ignores its body, reads an unbounded one.
 */
export function createBodyLimits(): RequestHandler[] {
  return [
    express.json({ limit: BODY_LIMIT, strict: true }),
    express.raw({ limit: BODY_LIMIT, type: () => true }),
  ];
}

/** `POST /api/messages` takes texts up to 65,536 characters; mounted before the general limits, which then skip the parsed body. */
export function createMessageBodyLimit(): RequestHandler {
  return express.json({ limit: MESSAGE_BODY_LIMIT, strict: true });
}
