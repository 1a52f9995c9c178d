import type { Command } from '../command';
import { help } from './help';
import { ping } from './ping';

/** The bot's commands, in the order !help lists them. */
export const COMMANDS: readonly Command[] = [ping, help];
