/**
 * zod shapes of the panel's success bodies (wings.md §10.2). Lenient where Pterodactyl and Pelican versions differ
 * (nullable description, missing is_transferring), strict where the bot depends on the value.
 */
import { z } from 'zod';
import type { ServerState } from './types.ts';

const count = z
  .number()
  .nullish()
  .transform((n) => n ?? 0);

export const serverBody = z.object({
  attributes: z.object({
    identifier: z.string().min(1),
    uuid: z.string().min(1),
    name: z.string(),
    node: z.string(),
    description: z
      .string()
      .nullish()
      .transform((d) => d ?? ''),
    status: z
      .string()
      .nullish()
      .transform((s) => s ?? null),
    is_suspended: z.boolean(),
    is_installing: z.boolean(),
    is_transferring: z
      .boolean()
      .nullish()
      .transform((t) => t ?? false),
    limits: z.object({
      memory: count,
      swap: count,
      disk: count,
      io: count,
      cpu: count,
      threads: z
        .union([z.string(), z.number()])
        .nullish()
        .transform((t) => (t === null || t === undefined ? null : String(t))),
    }),
  }),
  meta: z.object({
    is_server_owner: z.boolean(),
    user_permissions: z.array(z.string()),
  }),
});

export const websocketBody = z.object({
  data: z.object({
    token: z.string().min(1),
    socket: z.string().regex(/^wss?:\/\//i, 'socket must be a ws:// or wss:// URL'),
  }),
});

export const resourcesBody = z.object({
  attributes: z.object({
    current_state: z.enum(['offline', 'starting', 'running', 'stopping'] satisfies ServerState[]),
    is_suspended: z.boolean(),
    resources: z.object({
      memory_bytes: count,
      cpu_absolute: count,
      disk_bytes: count,
      network_rx_bytes: count,
      network_tx_bytes: count,
      uptime: count,
    }),
  }),
});

export const accountBody = z.object({
  attributes: z.object({
    id: z.number(),
    username: z.string(),
    email: z.string(),
    admin: z.boolean(),
  }),
});
