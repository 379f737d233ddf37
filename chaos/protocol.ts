/** IPC between the chaos runner and the bot process it drives (chaos/bot-child.ts). */

export type ChildMessage =
  | { type: 'ready' }
  /** Numbered console lines that reached the bot's socket for this server (live or replayed), in arrival order. */
  | { type: 'wire'; uuid: string; numbers: number[] }
  /** A websocket token the bot authenticated with (collected for the secret search). */
  | { type: 'jwt'; token: string }
  | { type: 'mem'; at: number; rss: number; heapUsed: number }
  | { type: 'rejection'; text: string }
  | { type: 'states'; states: Array<{ serverUuid: string; kind: string }> }
  | { type: 'stopped'; rejections: number };

export type ParentMessage = { type: 'states' } | { type: 'stop' };
