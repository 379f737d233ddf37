/** `/server list`: one field per binding with where it points, where it posts, and how its connection is doing. */
import { EmbedBuilder } from 'discord.js';
import type { Bridge } from '../bridge/bridge.ts';
import type { ConnectionState } from '../wings/connection.ts';
import { inert, stateLabel } from './format.ts';

export function describeConnection(state: ConnectionState): string {
  switch (state.kind) {
    case 'idle':
      return 'not connected';
    case 'connecting':
      return state.attempt > 1 ? `connecting (attempt ${state.attempt})` : 'connecting';
    case 'ready':
      return 'connected';
    case 'retrying':
      return `reconnecting <t:${Math.ceil(state.nextAttemptAt / 1000)}:R> (attempt ${state.attempt})`;
    case 'stopped':
      return 'stopped';
  }
}

export async function describeBindings(bridge: Bridge, guildId: string): Promise<EmbedBuilder> {
  const entries = await bridge.list(guildId);
  const embed = new EmbedBuilder().setTitle('Bound servers');
  if (entries.length === 0) {
    return embed.setDescription('None yet. Add one with `/server add`.');
  }
  for (const { record, live } of entries.slice(0, 25)) {
    if (!record.ok) {
      embed.addFields({ name: `⚠️ ${inert(record.name, 200)}`, value: inert(record.error, 1000) });
      continue;
    }
    const b = record.binding;
    const lines = [`Panel: ${new URL(b.panelUrl).host} · \`${b.serverId}\``, `Console: <#${b.consoleChannelId}>`];
    if (b.moderatorRoleId) lines.push(`Moderators: <@&${b.moderatorRoleId}>`);
    if (live) {
      lines.push(
        `Connection: ${describeConnection(live.connection.connectionState)} · ${stateLabel(live.connection.serverState)}`,
      );
      if (live.lastError) lines.push(`Last error: ${inert(live.lastError, 300)}`);
      const extra = bridge.describeExtras(live);
      if (extra) lines.push(extra);
    }
    embed.addFields({ name: inert(b.name, 200), value: lines.join('\n').slice(0, 1024) });
  }
  return embed;
}
