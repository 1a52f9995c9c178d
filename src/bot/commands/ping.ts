import type { Command } from '../command';

export const ping: Command = {
  name: 'ping',
  description: 'Check that the bot is alive (answers "pong").',
  async run({ reply }) {
    await reply('pong');
  },
};
