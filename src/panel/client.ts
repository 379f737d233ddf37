/**
 * Typed client for the panel client API calls the bot needs (wings.md §10). Every failure is a PanelError; the API key
 * lives in a private field, goes only into the Authorization header, and is scrubbed from every error on the way out.
 */
import type { Logger } from 'pino';
import { Agent } from 'undici';
import type { z } from 'zod';
import { guardedLookup, type LookupFunction } from './dns-guard.ts';
import { badResponse, type CallContext, notTheApi, PanelError } from './errors.ts';
import { apiKeyIdentity, isHeaderSafeKey } from './keys.ts';
import { accountBody, resourcesBody, serverBody, websocketBody } from './schemas.ts';
import { call, type TransportOptions } from './transport.ts';
import { POWER_ACTIONS, POWER_PERMISSION, type PowerAction, type ServerState } from './types.ts';
import { normalizePanelUrl, panelHost, socketUrlProblem } from './url-policy.ts';

export { apiKeyIdentity, looksLikeApplicationKey, looksLikeClientKey } from './keys.ts';

export interface ServerDetails {
  identifier: string;
  uuid: string;
  name: string;
  node: string;
  description: string;
  status: string | null;
  isSuspended: boolean;
  isInstalling: boolean;
  isTransferring: boolean;
  limits: { memory: number; swap: number; disk: number; io: number; cpu: number; threads: string | null };
  /** meta.is_server_owner */
  isOwner: boolean;
  /** meta.user_permissions */
  permissions: string[];
}

export interface WebsocketCredentials {
  token: string;
  socket: string;
}

export interface Resources {
  state: ServerState;
  isSuspended: boolean;
  memoryBytes: number;
  cpuAbsolute: number;
  diskBytes: number;
  networkRxBytes: number;
  networkTxBytes: number;
  uptimeMs: number;
}

export interface Account {
  id: number;
  username: string;
  email: string;
  admin: boolean;
}

export interface PanelClientOptions {
  panelUrl: string;
  apiKey: string;
  /** Per attempt, covering connect, headers and body. Default 10 000. */
  timeoutMs?: number;
  /** Retries of one call on 429 (and one retry of a GET on 502/503/504). Default 2. */
  maxRetries?: number;
  /** Cap on the total wait between attempts of one call. Default 10 000. */
  maxRetryWaitMs?: number;
  /** Pause before retrying a GET answered 502/503/504. Default 500. */
  retryBackoffMs?: number;
  /** Largest body read. Default 1 MiB. */
  maxBodyBytes?: number;
  logger?: Logger;
  fetch?: typeof fetch;
  /** Name resolution for the panel connection; default dns.lookup refusing link-local/metadata addresses. */
  lookup?: LookupFunction;
}

/** One connection pool per lookup function (normally just the guarded default), shared by every client. */
const agents = new WeakMap<LookupFunction, Agent>();
function agentFor(lookup: LookupFunction): Agent {
  let agent = agents.get(lookup);
  if (agent === undefined) {
    agent = new Agent({ connect: { lookup } });
    agents.set(lookup, agent);
  }
  return agent;
}

/** The 8-character identifier or the full uuid; anything else could walk out of the /servers/ path. */
const SERVER_ID = /^[A-Za-z0-9-]{1,64}$/;

export class PanelClient {
  /** Normalised origin, e.g. "https://panel.example.com". */
  readonly panelUrl: string;
  /** sha256-based identity of the key, safe to log. */
  readonly keyIdentity: string;
  readonly #transport: TransportOptions;
  readonly #apiKey: string;

  constructor(options: PanelClientOptions) {
    // The caller applies the operator's policy (https, allowlist); this re-check only enforces what is never allowed
    // (other schemes, credentials, paths, metadata addresses) and yields the normalised origin.
    this.panelUrl = normalizePanelUrl(options.panelUrl, { allowHttp: true, allowlist: [] });
    this.#apiKey = options.apiKey.trim();
    this.keyIdentity = apiKeyIdentity(this.#apiKey);
    const transport: TransportOptions = {
      origin: this.panelUrl,
      host: panelHost(this.panelUrl),
      apiKey: this.#apiKey,
      timeoutMs: options.timeoutMs ?? 10_000,
      maxRetries: options.maxRetries ?? 2,
      maxRetryWaitMs: options.maxRetryWaitMs ?? 10_000,
      retryBackoffMs: options.retryBackoffMs ?? 500,
      maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
      fetch: options.fetch ?? globalThis.fetch,
      dispatcher: agentFor(options.lookup ?? guardedLookup),
    };
    if (options.logger) transport.logger = options.logger.child({ keyId: this.keyIdentity });
    this.#transport = transport;
  }

  async getAccount(): Promise<Account> {
    const a = await this.#get('/api/client/account', accountBody, {});
    return {
      id: a.attributes.id,
      username: a.attributes.username,
      email: a.attributes.email,
      admin: a.attributes.admin,
    };
  }

  async getServer(serverId: string): Promise<ServerDetails> {
    const body = await this.#get(`/api/client/servers/${this.#id(serverId)}`, serverBody, { serverId });
    const a = body.attributes;
    return {
      identifier: a.identifier,
      uuid: a.uuid,
      name: a.name,
      node: a.node,
      description: a.description,
      status: a.status,
      isSuspended: a.is_suspended,
      isInstalling: a.is_installing,
      isTransferring: a.is_transferring,
      limits: { ...a.limits },
      isOwner: body.meta.is_server_owner,
      permissions: [...body.meta.user_permissions],
    };
  }

  async getWebsocketCredentials(serverId: string): Promise<WebsocketCredentials> {
    const path = `/api/client/servers/${this.#id(serverId)}/websocket`;
    const extra = { serverId, permission: 'websocket.connect' };
    const body = await this.#get(path, websocketBody, extra);
    const problem = socketUrlProblem(body.data.socket, this.panelUrl);
    if (problem !== undefined) {
      let host = '?';
      try {
        host = new URL(body.data.socket).host;
      } catch {
        // not a URL: the problem says so
      }
      throw badResponse(
        this.#ctx('GET', path, extra),
        `${problem}; the bot does not connect there.`,
        200,
        `socket host ${host}`,
      );
    }
    return { token: body.data.token, socket: body.data.socket };
  }

  async getResources(serverId: string): Promise<Resources> {
    const body = await this.#get(`/api/client/servers/${this.#id(serverId)}/resources`, resourcesBody, { serverId });
    const a = body.attributes;
    return {
      state: a.current_state,
      isSuspended: a.is_suspended,
      memoryBytes: a.resources.memory_bytes,
      cpuAbsolute: a.resources.cpu_absolute,
      diskBytes: a.resources.disk_bytes,
      networkRxBytes: a.resources.network_rx_bytes,
      networkTxBytes: a.resources.network_tx_bytes,
      uptimeMs: a.resources.uptime,
    };
  }

  /** Resolves when the panel accepted the signal (204); the outcome shows only on the socket (wings.md §9). */
  async sendPower(serverId: string, signal: PowerAction): Promise<void> {
    if (!POWER_ACTIONS.includes(signal)) {
      throw this.#validation('The power action must be one of start, stop, restart or kill.');
    }
    await this.#post(
      `/api/client/servers/${this.#id(serverId)}/power`,
      { signal },
      { serverId, permission: POWER_PERMISSION[signal] },
    );
  }

  async sendCommand(serverId: string, command: string): Promise<void> {
    if (command.trim() === '') throw this.#validation('The command is empty.');
    await this.#post(
      `/api/client/servers/${this.#id(serverId)}/command`,
      { command },
      { serverId, permission: 'control.console', isCommand: true },
    );
  }

  #id(serverId: string): string {
    if (!SERVER_ID.test(serverId)) {
      throw this.#validation(
        "That is not a server id; use the 8-character identifier from the server's page address (like 1a2b3c4d) or its full UUID.",
      );
    }
    return encodeURIComponent(serverId);
  }

  #validation(userMessage: string): PanelError {
    return new PanelError({ kind: 'validation', userMessage, message: `validation: ${userMessage}` });
  }

  #ctx(method: string, path: string, extra: Partial<CallContext>): CallContext {
    return { host: this.#transport.host, method, path, ...extra };
  }

  async #send(method: 'GET' | 'POST', path: string, body: unknown, extra: Partial<CallContext>) {
    const ctx = this.#ctx(method, path, extra);
    if (!isHeaderSafeKey(this.#apiKey)) {
      throw new PanelError({
        kind: 'invalid_key',
        userMessage:
          'The API key contains spaces, line breaks or other characters no key has; copy it again from Account → API Credentials.',
        message: `invalid_key: key ${this.keyIdentity} has characters that cannot be sent in a header`,
      });
    }
    try {
      return { ctx, result: await call(this.#transport, { method, path, body, ctx }) };
    } catch (err) {
      if (err instanceof PanelError) throw err.redact(this.#apiKey);
      throw new PanelError({
        kind: 'panel_error',
        userMessage: `The request to the panel at ${ctx.host} failed unexpectedly; try again.`,
        message: `panel_error: ${method} ${path}: ${err instanceof Error ? err.name : 'unknown error'}`,
      }).redact(this.#apiKey);
    }
  }

  async #get<S extends z.ZodType>(path: string, schema: S, extra: Partial<CallContext>): Promise<z.output<S>> {
    const { ctx, result } = await this.#send('GET', path, undefined, extra);
    let json: unknown;
    try {
      json = JSON.parse(result.text);
    } catch {
      throw notTheApi(ctx, result.status, 'body is not JSON');
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw notTheApi(ctx, result.status, `unexpected body: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
    }
    return parsed.data;
  }

  async #post(path: string, body: unknown, extra: Partial<CallContext>): Promise<void> {
    await this.#send('POST', path, body, extra);
  }
}
