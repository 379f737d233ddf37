/** Public surface of the panel client API module (docs/contracts.md, `src/panel/`). */
export {
  type Account,
  apiKeyIdentity,
  looksLikeApplicationKey,
  looksLikeClientKey,
  PanelClient,
  type PanelClientOptions,
  type Resources,
  type ServerDetails,
  type WebsocketCredentials,
} from './client.ts';
export { type ConflictReason, PanelError, type PanelErrorKind } from './errors.ts';
export type { PowerAction, ServerState } from './types.ts';
export { isLoopbackHost, normalizePanelUrl, PanelUrlError, type PanelUrlPolicy } from './url-policy.ts';
