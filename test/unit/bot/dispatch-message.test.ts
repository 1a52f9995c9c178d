import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command } from '../../../src/bot/command';
import { COMMANDS } from '../../../src/bot/commands';
import { createDispatcher } from '../../../src/bot/dispatch-message';
import type { IncomingMessage } from '../../../src/whatsapp/wa-client';
import { makeSnapshot } from '../../support/fake-session';
import { incomingMessage } from '../../support/incoming-message';
import { RecordingLogger } from '../../support/recording-logger';

/** A message whose replies the test can read (the dispatcher's reply sender records them). */
interface SentMessage extends IncomingMessage {
  readonly replies: string[];
  /** Makes replying to this message fail, as a page that went away would. */
  failReply?: Error;
}

function message(body: string, overrides: Partial<IncomingMessage> = {}): SentMessage {
  return { ...incomingMessage(body, overrides), replies: [] };
}

function setup(commands: readonly Command[] = COMMANDS, prefix = '!') {
  const logger = new RecordingLogger();
  const session = makeSnapshot({ state: 'ready' });
  const dispatch = createDispatcher({
    commands,
    prefix,
    logger,
    session: () => session,
    reply: async (to, text) => {
      const sent = to as SentMessage;
      if (sent.failReply !== undefined) throw sent.failReply;
      sent.replies.push(text);
    },
  });
  return { dispatch, logger, session };
}

describe('createDispatcher', () => {
  it("!ping replies 'pong'", async () => {
    const { dispatch } = setup();
    const m = message('!ping');
    await dispatch(m);
    assert.deepEqual(m.replies, ['pong']);
  });

  it('!help lists every command with its description', async () => {
    const { dispatch } = setup();
    const m = message('!help');
    await dispatch(m);
    assert.equal(m.replies.length, 1);
    for (const command of COMMANDS) {
      assert.ok(m.replies[0]?.includes(`!${command.name}`), `!help lists !${command.name}`);
      assert.ok(m.replies[0]?.includes(command.description), `!help describes !${command.name}`);
    }
    assert.ok(COMMANDS.some((c) => c.name === 'ping') && COMMANDS.some((c) => c.name === 'help'));
  });

  it('!help lists commands added later too, with the configured prefix', async () => {
    const extra: Command = { name: 'echo', description: 'Say it back.', run: async ({ reply, args }) => reply(args) };
    const { dispatch } = setup([...COMMANDS, extra], '/');
    const m = message('/help');
    await dispatch(m);
    assert.match(m.replies[0] ?? '', /\/echo - Say it back\./);
    assert.match(m.replies[0] ?? '', /\/ping/);
  });

  it('the command word is case-insensitive and surrounding whitespace is ignored', async () => {
    const { dispatch } = setup();
    for (const body of ['!PING', '!Ping', '  !ping  ', '!ping now please']) {
      const m = message(body);
      await dispatch(m);
      assert.deepEqual(m.replies, ['pong'], body);
    }
  });

  it('passes the text after the command word, trimmed', async () => {
    const seen: string[] = [];
    const echo: Command = { name: 'echo', description: 'x', run: async ({ args }) => void seen.push(args) };
    const { dispatch } = setup([echo]);
    await dispatch(message('!echo   hello  '));
    await dispatch(message('!echo'));
    assert.deepEqual(seen, ['hello', '']);
  });

  it('keeps the spacing and line breaks inside the arguments', async () => {
    const seen: string[] = [];
    const echo: Command = { name: 'echo', description: 'x', run: async ({ args }) => void seen.push(args) };
    const { dispatch } = setup([echo]);
    await dispatch(message('!echo line one\nline  two'));
    assert.deepEqual(seen, ['line one\nline  two']);
  });

  it('unknown commands and plain text are ignored', async () => {
    const { dispatch, logger } = setup();
    for (const body of ['!nope', 'ping', 'hello there', '!', '', '! ping', 'x!ping']) {
      const m = message(body);
      await dispatch(m);
      assert.deepEqual(m.replies, [], JSON.stringify(body));
    }
    assert.equal(logger.at('error').length, 0);
  });

  it('our own messages and status broadcasts are ignored', async () => {
    const { dispatch } = setup();
    const own = message('!ping', { fromMe: true });
    const status = message('!ping', { isStatus: true, from: 'status@broadcast' });
    await dispatch(own);
    await dispatch(status);
    assert.deepEqual(own.replies, []);
    assert.deepEqual(status.replies, []);
  });

  it('a throwing command is logged and does not reject; other commands keep working', async () => {
    const boom: Command = {
      name: 'boom',
      description: 'fails',
      run: async () => {
        throw new Error('handler bug');
      },
    };
    const syncBoom = {
      name: 'sync',
      description: 'throws synchronously',
      run: () => {
        throw new Error('sync bug');
      },
    } as unknown as Command;
    const { dispatch, logger } = setup([...COMMANDS, boom, syncBoom]);
    await assert.doesNotReject(dispatch(message('!boom')));
    await assert.doesNotReject(dispatch(message('!sync')));
    const errors = logger.at('error');
    assert.equal(errors.length, 2);
    assert.match(errors[0]?.message ?? '', /!boom/);
    assert.equal(errors[0]?.meta.error, 'handler bug');
    assert.equal(errors[0]?.meta.component, 'bot');
    const m = message('!ping');
    await dispatch(m);
    assert.deepEqual(m.replies, ['pong']);
  });

  it('a reply that fails (the page went away) is logged, not thrown', async () => {
    const { dispatch, logger } = setup();
    const m = message('!ping');
    m.failReply = new Error('Target closed');
    await assert.doesNotReject(dispatch(m));
    assert.equal(logger.at('error').length, 1);
  });

  it('a command gets the message it answers and the session as it is now', async () => {
    const seen: Array<{ id: string; state: string }> = [];
    const who: Command = {
      name: 'who',
      description: 'x',
      run: async ({ message: m, session }) => void seen.push({ id: m.id, state: session.state }),
    };
    const { dispatch } = setup([who]);
    const m = message('!who');
    await dispatch(m);
    assert.deepEqual(seen, [{ id: m.id, state: 'ready' }]);
  });
});
