import type { Command } from '../command';

export const help: Command = {
  name: 'help',
  description: 'List the commands.',
  async run({ reply, commands, prefix }) {
    const lines = commands.map((command) => `${prefix}${command.name} - ${command.description}`);
    await reply(`Commands:\n${lines.join('\n')}`);
  },
};
