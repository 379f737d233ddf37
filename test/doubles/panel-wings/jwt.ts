// HS256 JWTs as the panel mints them for the Wings websocket (wings.md §3.1) and as Wings parses them (§3.2).
// Own implementation on node:crypto on purpose: the double must not share bugs with the bot's code.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type Flavour = 'pterodactyl' | 'pelican';

export interface WebsocketClaims {
  iss?: unknown;
  aud?: unknown;
  jti?: unknown;
  iat?: unknown;
  nbf?: unknown;
  exp?: unknown;
  server_uuid?: unknown;
  permissions?: unknown;
  user_uuid?: unknown;
  user_id?: unknown;
  unique_id?: unknown;
  scope?: unknown;
}

/** Parsed and type-checked payload, the fields Wings reads. */
export interface WebsocketPayload {
  jti: string;
  iat: number | undefined;
  exp: number | undefined;
  serverUuid: string;
  userUuid: string;
  permissions: string[];
  scope: string[];
}

// Texts of gbrlsnchs/jwt v3 (the library Wings uses); only holders of admin.websocket.errors ever see them.
export const JWT_MALFORMED = 'jwt: malformed token';
export const JWT_HMAC_FAILED = 'jwt: HMAC verification failed';
export const JWT_NOT_OBJECT = 'jwt: payload is not a valid JSON object';
export const JWT_EXP_INVALID = 'jwt: exp claim is invalid';
// Go's encoding/json error for a claim of the wrong type; not a JWT-class error, so users see the generic text.
export const JWT_BAD_CLAIM_TYPE = 'json: cannot unmarshal token claim into Go struct field';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function b64(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** Strict raw-URL base64 like Go's RawURLEncoding: no padding, no foreign characters. */
function unb64(part: string): Buffer | undefined {
  if (!BASE64URL.test(part) || part.length % 4 === 1) return undefined;
  return Buffer.from(part, 'base64url');
}

export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: string): string {
  const signingInput = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  const signature = createHmac('sha256', key).update(signingInput).digest();
  return `${signingInput}.${b64(signature)}`;
}

export interface MintInput {
  flavour: Flavour;
  key: string;
  panelUrl: string;
  nodeUrl: string;
  userId: number;
  userUuid: string;
  serverUuid: string;
  permissions: string[];
  nowSec: number;
  lifetimeSec: number;
}

/** The websocket token exactly as the panel's WebsocketController + NodeJWTService build it. */
export function mintWebsocketToken(input: MintInput): string {
  const jtiSource = `${input.userId}${input.serverUuid}`;
  const jti = createHash(input.flavour === 'pelican' ? 'sha256' : 'md5')
    .update(jtiSource)
    .digest('hex');
  const payload: Record<string, unknown> = {
    iss: input.panelUrl,
    aud: [input.nodeUrl],
    jti,
    iat: input.nowSec,
    nbf: input.nowSec - 300,
    exp: input.nowSec + input.lifetimeSec,
    server_uuid: input.serverUuid,
    permissions: input.permissions,
    user_uuid: input.userUuid,
  };
  if (input.flavour === 'pterodactyl') payload.user_id = input.userId;
  payload.unique_id = randomAlnum(16);
  payload.scope = 'websocket';
  return signJwt({ typ: 'JWT', alg: 'HS256', jti }, payload, input.key);
}

export type VerifyResult = { ok: true; payload: WebsocketPayload } | { ok: false; error: string };

/** Wings' ParseToken: shape → header → HMAC → JSON object → claim types → exp (whole seconds). */
export function verifyWebsocketToken(token: string, key: string, nowSec: number): VerifyResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, error: JWT_MALFORMED };
  const [headerPart, payloadPart, sigPart] = parts as [string, string, string];
  const headerRaw = unb64(headerPart);
  if (!headerRaw || !isJsonObject(headerRaw.toString('utf8'))) return { ok: false, error: JWT_MALFORMED };
  const sig = unb64(sigPart);
  const expected = createHmac('sha256', key).update(`${headerPart}.${payloadPart}`).digest();
  if (!sig || sig.length !== expected.length || !timingSafeEqual(sig, expected)) {
    return { ok: false, error: JWT_HMAC_FAILED };
  }
  const payloadRaw = unb64(payloadPart);
  if (!payloadRaw) return { ok: false, error: JWT_MALFORMED };
  let claims: unknown;
  try {
    claims = JSON.parse(payloadRaw.toString('utf8'));
  } catch {
    return { ok: false, error: JWT_NOT_OBJECT };
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    return { ok: false, error: JWT_NOT_OBJECT };
  }
  const payload = readClaims(claims as WebsocketClaims);
  if (!payload) return { ok: false, error: JWT_BAD_CLAIM_TYPE };
  if (!expValid(payload, nowSec)) return { ok: false, error: JWT_EXP_INVALID };
  return { ok: true, payload };
}

/** gbrlsnchs truncates "now" to whole seconds: a token is valid while floor(now) <= exp. */
export function expValid(payload: WebsocketPayload, nowSec: number): boolean {
  return payload.exp !== undefined && nowSec <= payload.exp;
}

function readClaims(c: WebsocketClaims): WebsocketPayload | undefined {
  const num = (v: unknown): number | undefined | null =>
    v === undefined || v === null ? undefined : typeof v === 'number' && Number.isFinite(v) ? v : null;
  const str = (v: unknown): string | null => (v === undefined || v === null ? '' : typeof v === 'string' ? v : null);
  const iat = num(c.iat);
  const exp = num(c.exp);
  const jti = str(c.jti);
  const serverUuid = str(c.server_uuid);
  const userUuid = str(c.user_uuid);
  if (iat === null || exp === null || jti === null || serverUuid === null || userUuid === null) return undefined;
  let permissions: string[] = [];
  if (c.permissions !== undefined && c.permissions !== null) {
    if (!Array.isArray(c.permissions)) return undefined;
    permissions = [];
    for (const p of c.permissions) {
      if (p === null) permissions.push('');
      else if (typeof p === 'string') permissions.push(p);
      else return undefined;
    }
  }
  // Wings' scope claim accepts a single string or a list, like the JWT audience.
  let scope: string[] = [];
  if (typeof c.scope === 'string') scope = [c.scope];
  else if (Array.isArray(c.scope)) scope = c.scope.filter((s): s is string => typeof s === 'string');
  else if (c.scope !== undefined && c.scope !== null) return undefined;
  return { jti, iat, exp, serverUuid, userUuid, permissions, scope };
}

function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** Wings' HasPermission: exact match, or `*` for anything not starting with "admin". */
export function tokenHasPermission(permissions: readonly string[], wanted: string): boolean {
  return permissions.some((p) => p === wanted || (p === '*' && !wanted.startsWith('admin')));
}

/** Decodes a JWT payload without verifying it (for tests that inspect claims). */
export function decodeJwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function decodeJwtHeader(token: string): Record<string, unknown> {
  const part = token.split('.')[0] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomAlnum(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; out.length < length && i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    if (b < 248) out += ALNUM[b % 62];
  }
  while (out.length < length) out += ALNUM[randomBytes(1)[0]! % 62];
  return out;
}
