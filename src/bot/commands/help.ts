import type { Command } from '../command';

export const help: Command = {
  name: 'help',
  description: 'List the commands.',
  async run({ message, commands, prefix }) {
    const lines = commands.map((command) => `${prefix}${command.name} - ${command.description}`);
    await message.reply(`Commands:\n${lines.join('\n')}`);
  },
};
