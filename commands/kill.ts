import { powerCommand } from '../src/discord/power-command.ts';

export const { data, execute } = powerCommand(
  'kill',
  'Kill the game server process at once (unsaved progress is lost)',
);
export { autocomplete } from '../src/discord/server-autocomplete.ts';
