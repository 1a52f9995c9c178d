'use strict';
/**
 * The HTTP baseline of `npm run bench`: one Express route and nothing else, on loopback.
 * Plain CommonJS run by plain `node`, like the built daemon. Prints {"port":N} when listening.
 */
const express = require('express');

const app = express();
app.get('/bare', (req, res) => res.json({ ok: true }));
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
