import { powerCommand } from '../src/discord/power-command.ts';

export const { data, execute } = powerCommand('restart', 'Restart the game server');
export { autocomplete } from '../src/discord/server-autocomplete.ts';
