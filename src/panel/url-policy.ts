/**
 * Panel URL policy: which addresses the bot may send an API key to. The result is always a bare origin
 * ("https://panel.example.com", "http://127.0.0.1:8080") because the client appends `/api/client/...` itself and because
 * Wings compares the Origin header against exactly this form.
 *
 * Every refusal carries one sentence for the person who typed the address, naming the address to use where there is one.
 * The raw input is never echoed (it may hold credentials or Discord markup); only parts rebuilt by the URL parser are.
 */

export class PanelUrlError extends Error {
  override name = 'PanelUrlError';
  readonly userMessage: string;
  constructor(userMessage: string) {
    super(userMessage);
    this.userMessage = userMessage;
  }
}

export interface PanelUrlPolicy {
  /** `ALLOW_HTTP_PANELS=true`: plain http is accepted for any host, not only loopback. */
  allowHttp: boolean;
  /** `PANEL_URL_ALLOWLIST`: hosts or host:port entries; empty means any host. */
  allowlist: string[];
}

const MAX_INPUT_LENGTH = 2048;

/** Cloud instance-metadata names; an API key sent there could leak and a fetch there is a classic SSRF. */
const METADATA_HOSTNAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.tencentyun.com',
  'metadata.platformequinix.com',
]);

/** Metadata services that are not in 169.254.0.0/16: Alibaba, Azure wire server, AWS IPv6 IMDS. */
const METADATA_IPS = new Set(['100.100.100.200', '168.63.129.16', '[fd00:ec2::254]']);

function parseIpv4(hostname: string): [number, number, number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(hostname);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
}

/** The IPv4 address inside an IPv4-mapped IPv6 literal as the WHATWG parser prints it ("[::ffff:7f00:1]"). */
function mappedIpv4(hostname: string): string | undefined {
  const m = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(hostname);
  if (!m) return undefined;
  const hi = Number.parseInt(m[1]!, 16);
  const lo = Number.parseInt(m[2]!, 16);
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** First 16-bit group of a canonical IPv6 literal ("[fe80::1]" → 0xfe80, "[::1]" → 0). */
function firstIpv6Group(hostname: string): number | undefined {
  if (!hostname.startsWith('[')) return undefined;
  const first = hostname.slice(1).split(':')[0] ?? '';
  return first === '' ? 0 : Number.parseInt(first, 16);
}

/** `hostname` as produced by the WHATWG URL parser: lower-case, punycode, canonical IPv4, bracketed IPv6. */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  if (hostname === '[::1]') return true;
  const v4 = parseIpv4(mappedIpv4(hostname) ?? hostname);
  return v4 !== undefined && v4[0] === 127;
}

/** Link-local or cloud-metadata (or 0.0.0.0 / [::]); takes a URL hostname (bracketed IPv6) or a host name. */
export function isForbiddenHost(hostname: string): boolean {
  if (METADATA_HOSTNAMES.has(hostname) || METADATA_IPS.has(hostname)) return true;
  const mapped = mappedIpv4(hostname);
  if (mapped !== undefined && METADATA_IPS.has(mapped)) return true;
  const v4 = parseIpv4(mapped ?? hostname);
  if (v4 && v4[0] === 169 && v4[1] === 254) return true; // link-local, incl. 169.254.169.254
  if (v4?.every((n) => n === 0)) return true; // 0.0.0.0 means "this host" to the kernel: a loopback in disguise
  if (hostname === '[::]') return true;
  const group = firstIpv6Group(hostname);
  return group !== undefined && (group & 0xffc0) === 0xfe80; // fe80::/10
}

interface AllowlistEntry {
  hostname: string;
  port?: string;
}

/** Parses one allowlist entry: "panel.example.com", "Panel.Example.com:8443", "[::1]:8080", "::1", or a full URL. */
export function parseAllowlistEntry(entry: string): AllowlistEntry | undefined {
  let text = entry.trim().toLowerCase();
  if (text === '') return undefined;
  const schemeless = /^[a-z][a-z0-9+.-]*:\/\/(.*)$/.exec(text);
  if (schemeless) text = schemeless[1]!;
  text = text.replace(/\/+$/, '');
  let host = text;
  let port: string | undefined;
  const bracketed = /^(\[[^\]]+\])(?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2];
  } else if ((text.match(/:/g) ?? []).length === 1) {
    const [h, p] = text.split(':');
    host = h!;
    port = p;
  } else if (text.includes(':')) {
    host = `[${text}]`; // bare IPv6 literal
  }
  try {
    const hostname = new URL(`http://${host}/`).hostname.replace(/\.$/, '');
    return port ? { hostname, port: String(Number(port)) } : { hostname };
  } catch {
    return undefined;
  }
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

function allowlistMatches(url: URL, hostname: string, allowlist: string[]): boolean {
  const port = url.port || defaultPort(url.protocol);
  return allowlist.some((raw) => {
    const entry = parseAllowlistEntry(raw);
    return entry !== undefined && entry.hostname === hostname && (entry.port === undefined || entry.port === port);
  });
}

const EXAMPLE = 'https://panel.example.com';

/**
 * Checks a panel address against the policy and returns its normalised origin, or throws PanelUrlError with a sentence
 * saying what to use instead.
 */
export function normalizePanelUrl(input: string, policy: PanelUrlPolicy): string {
  const text = input.trim();
  if (text === '' || text.length > MAX_INPUT_LENGTH) {
    throw new PanelUrlError(`Give the panel's web address, like ${EXAMPLE}.`);
  }
  // A bare host ("panel.example.com", "localhost:8080") is the commonest slip; suggest the full form. The pattern admits
  // only host characters, so echoing it is safe.
  if (/^[a-z0-9.-]+(:\d+)?\/?$/i.test(text)) {
    throw new PanelUrlError(
      `The panel address needs its scheme: use https://${text.toLowerCase().replace(/\/$/, '')} (the address you open in a browser).`,
    );
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PanelUrlError(`That is not a web address; give the panel's address like ${EXAMPLE}.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new PanelUrlError(`The panel address must start with https:// (or http:// where allowed), like ${EXAMPLE}.`);
  }
  const hostname = url.hostname.replace(/\.$/, '');
  const origin = `${url.protocol}//${url.host.replace(/\.(?=:|$)/, '')}`;
  // Forbidden hosts first: "https://panel.example.com@169.254.169.254" must not be answered with "use https://169.254.…".
  if (isForbiddenHost(hostname)) {
    throw new PanelUrlError(
      `${hostname} is a link-local or cloud-metadata address, which is never accepted as a panel; use the panel's public address.`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new PanelUrlError(
      `The panel address must not contain a user name or password; use ${origin} and give the API key separately.`,
    );
  }
  if (!/^\/*$/.test(url.pathname) || url.search !== '' || url.hash !== '') {
    const serverPage = /^\/server\/([0-9a-z-]+)/i.exec(url.pathname);
    const hint = serverPage ? ` (the server, ${serverPage[1]!.toLowerCase()}, is chosen separately)` : '';
    throw new PanelUrlError(`Use the panel's base address ${origin}, not a page inside it${hint}.`);
  }
  if (url.protocol === 'http:' && !policy.allowHttp && !isLoopbackHost(hostname)) {
    throw new PanelUrlError(
      `The panel must be reached over https (use https://${hostname}); plain http is only accepted for a panel on this machine or when the bot's operator sets ALLOW_HTTP_PANELS=true.`,
    );
  }
  if (policy.allowlist.length > 0 && !allowlistMatches(url, hostname, policy.allowlist)) {
    throw new PanelUrlError(
      `The panel host ${hostname} is not on this bot's allowed list (PANEL_URL_ALLOWLIST); ask the bot's operator to add it.`,
    );
  }
  return origin;
}

/** The host part of an already normalised origin, for messages ("panel.example.com", "127.0.0.1:8080"). */
export function panelHost(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return origin;
  }
}

/**
 * Why the Wings socket address the panel handed out must not be dialled, or undefined when it may. The panel chooses
 * this address, so a hostile or compromised panel could point the bot at cloud metadata or at services on the bot's own
 * machine (a blind port scan whose result shows in /server list). The answer names no part of the address: it is shown
 * in Discord; the caller logs the host.
 */
export function socketUrlProblem(socket: string, panelOrigin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(socket);
  } catch {
    return 'gave a Wings socket address that is not a URL';
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
    return 'gave a Wings socket address that is not ws:// or wss://';
  if (url.username !== '' || url.password !== '') return 'gave a Wings socket address with a user name or password';
  const hostname = url.hostname.replace(/\.$/, '');
  if (isForbiddenHost(hostname)) return 'gave a link-local or cloud-metadata address for the Wings node';
  let panelHostname = '';
  try {
    panelHostname = new URL(panelOrigin).hostname;
  } catch {
    panelHostname = '';
  }
  if (isLoopbackHost(hostname) && !isLoopbackHost(panelHostname)) {
    return "gave an address on the bot's own machine for the Wings node, though the panel itself is elsewhere";
  }
  return undefined;
}
