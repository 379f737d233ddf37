/**
 * The power panel message as a pure function of what the bot knows: an embed with name, state and live stats, and the
 * four power buttons, disabled when they make no sense in the current state. Custom ids carry the binding id and the
 * action — nothing secret — so buttons keep working after a restart.
 */
import { ButtonStyle, ComponentType } from 'discord.js';
import type { PowerAction, ServerState, WingsStats } from '../wings/protocol.ts';
import { formatBytes, formatCpu, formatDuration, formatMemory, inert, stateLabel } from './format.ts';

export const PANEL_PREFIX = 'pb';

export type PanelStep = 'ask' | 'confirm' | 'cancel';

export function panelCustomId(bindingId: string, action: PowerAction, step: PanelStep = 'ask'): string {
  return step === 'ask' ? `${PANEL_PREFIX}:${bindingId}:${action}` : `${PANEL_PREFIX}:${bindingId}:${action}:${step}`;
}

const ACTIONS: readonly PowerAction[] = ['start', 'stop', 'restart', 'kill'];

export function parsePanelCustomId(
  customId: string,
): { bindingId: string; action: PowerAction; step: PanelStep } | undefined {
  const parts = customId.split(':');
  if (parts.length < 3 || parts.length > 4 || parts[0] !== PANEL_PREFIX) return undefined;
  const [, bindingId, action, step = 'ask'] = parts;
  if (!bindingId || !/^[0-9a-f-]{36}$/.test(bindingId)) return undefined;
  if (!ACTIONS.includes(action as PowerAction)) return undefined;
  if (step !== 'ask' && step !== 'confirm' && step !== 'cancel') return undefined;
  return { bindingId, action: action as PowerAction, step };
}

/** Which actions make sense in a state (unknown state: all, Wings will say). */
export function enabledActions(state: ServerState | undefined): Set<PowerAction> {
  switch (state) {
    case 'offline':
      return new Set(['start']);
    case 'starting':
      return new Set(['stop', 'restart', 'kill']);
    case 'running':
      return new Set(['stop', 'restart', 'kill']);
    case 'stopping':
      return new Set(['kill']);
    default:
      return new Set(ACTIONS);
  }
}

const STYLE: Record<PowerAction, ButtonStyle> = {
  start: ButtonStyle.Success,
  stop: ButtonStyle.Secondary,
  restart: ButtonStyle.Primary,
  kill: ButtonStyle.Danger,
};
const LABEL: Record<PowerAction, string> = { start: 'Start', stop: 'Stop', restart: 'Restart', kill: 'Kill' };

export interface PanelFacts {
  bindingId: string;
  name: string;
  state: ServerState | undefined;
  stats: WingsStats | undefined;
  connected: boolean;
  cpuLimit?: number | undefined;
  updatedAt: Date;
}

export function renderPanel(facts: PanelFacts) {
  const enabled = enabledActions(facts.state);
  const s = facts.stats;
  const running = facts.state !== undefined && facts.state !== 'offline';
  const fields = [
    {
      name: 'State',
      value: facts.connected ? stateLabel(facts.state) : `${stateLabel(facts.state)} (not connected)`,
      inline: true,
    },
    { name: 'Uptime', value: s && running ? formatDuration(s.uptimeMs) : '—', inline: true },
    { name: 'CPU', value: s && running ? formatCpu(s.cpuAbsolute, facts.cpuLimit) : '—', inline: false },
    { name: 'Memory', value: s && running ? formatMemory(s.memoryBytes, s.memoryLimitBytes) : '—', inline: true },
    { name: 'Disk', value: s ? formatBytes(s.diskBytes) : '—', inline: true },
  ];
  return {
    embeds: [
      {
        title: inert(facts.name, 200),
        color: facts.state === 'running' ? 0x2ecc71 : facts.state === 'offline' ? 0x95a5a6 : 0xf1c40f,
        fields,
        footer: { text: 'Power buttons are for moderators; Stop, Restart and Kill ask first.' },
        timestamp: facts.updatedAt.toISOString(),
      },
    ],
    components: [
      {
        type: ComponentType.ActionRow,
        components: ACTIONS.map((action) => ({
          type: ComponentType.Button,
          style: STYLE[action],
          label: LABEL[action],
          custom_id: panelCustomId(facts.bindingId, action),
          disabled: !facts.connected || !enabled.has(action),
        })),
      },
    ],
  };
}
