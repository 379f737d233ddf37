import { powerCommand } from '../src/discord/power-command.ts';

export const { data, execute } = powerCommand('stop', 'Stop the game server gracefully');
export { autocomplete } from '../src/discord/server-autocomplete.ts';
