import { describe, expect, it } from 'vitest';
import { isLoopbackHost, normalizePanelUrl, PanelUrlError, type PanelUrlPolicy } from '../src/panel/index.ts';
import { parseAllowlistEntry } from '../src/panel/url-policy.ts';

const strict: PanelUrlPolicy = { allowHttp: false, allowlist: [] };
const httpOk: PanelUrlPolicy = { allowHttp: true, allowlist: [] };
const only = (...allowlist: string[]): PanelUrlPolicy => ({ allowHttp: false, allowlist });

interface Accepted {
  input: string;
  policy?: PanelUrlPolicy;
  origin: string;
}

const accepted: Accepted[] = [
  { input: 'https://panel.example.com', origin: 'https://panel.example.com' },
  { input: 'https://panel.example.com/', origin: 'https://panel.example.com' },
  { input: 'https://panel.example.com///', origin: 'https://panel.example.com' },
  { input: '  https://panel.example.com \n', origin: 'https://panel.example.com' },
  { input: 'HTTPS://PANEL.Example.COM/', origin: 'https://panel.example.com' },
  { input: 'https://panel.example.com:443/', origin: 'https://panel.example.com' },
  { input: 'https://panel.example.com:8443', origin: 'https://panel.example.com:8443' },
  { input: 'https://panel.example.com.', origin: 'https://panel.example.com' },
  { input: 'https://panel.example.com#', origin: 'https://panel.example.com' },
  { input: 'http://127.0.0.1:80/', origin: 'http://127.0.0.1' },
  { input: 'http://127.5.6.7:8080', origin: 'http://127.5.6.7:8080' },
  { input: 'http://localhost:8080', origin: 'http://localhost:8080' },
  { input: 'http://LOCALHOST', origin: 'http://localhost' },
  { input: 'http://app.localhost:3000', origin: 'http://app.localhost:3000' },
  { input: 'http://[::1]:8080/', origin: 'http://[::1]:8080' },
  { input: 'http://[0:0:0:0:0:0:0:1]', origin: 'http://[::1]' },
  { input: 'http://[::ffff:127.0.0.1]:8080', origin: 'http://[::ffff:7f00:1]:8080' },
  { input: 'https://[2001:DB8::1]:8443', origin: 'https://[2001:db8::1]:8443' },
  { input: 'https://bücher.example', origin: 'https://xn--bcher-kva.example' },
  { input: 'https://xn--bcher-kva.example/', origin: 'https://xn--bcher-kva.example' },
  { input: 'http://panel.example.com', policy: httpOk, origin: 'http://panel.example.com' },
  { input: 'http://10.0.0.5:8080', policy: httpOk, origin: 'http://10.0.0.5:8080' },
  { input: 'https://Panel.Example.com', policy: only('PANEL.example.com'), origin: 'https://panel.example.com' },
  {
    input: 'https://panel.example.com:8443',
    policy: only('panel.example.com:8443'),
    origin: 'https://panel.example.com:8443',
  },
  { input: 'https://panel.example.com', policy: only('panel.example.com:443'), origin: 'https://panel.example.com' },
  {
    input: 'https://panel.example.com:8443',
    policy: only('panel.example.com'),
    origin: 'https://panel.example.com:8443',
  },
  {
    input: 'https://panel.example.com',
    policy: only('https://panel.example.com/'),
    origin: 'https://panel.example.com',
  },
  { input: 'https://xn--bcher-kva.example', policy: only('bücher.example'), origin: 'https://xn--bcher-kva.example' },
  { input: 'http://[::1]:8080', policy: only('[::1]:8080'), origin: 'http://[::1]:8080' },
  { input: 'http://[::1]:9000', policy: only('::1'), origin: 'http://[::1]:9000' },
  {
    input: 'https://other.example.com',
    policy: only('x.example.com', ' Other.Example.com '),
    origin: 'https://other.example.com',
  },
];

interface Refused {
  input: string;
  policy?: PanelUrlPolicy;
  /** A phrase the sentence must contain. */
  says: string | RegExp;
}

const refused: Refused[] = [
  { input: 'http://panel.example.com', says: 'use https://panel.example.com' },
  { input: 'http://10.0.0.5:8080', says: 'ALLOW_HTTP_PANELS=true' },
  { input: 'http://localhost.evil.com', says: 'https' },
  { input: 'http://127.0.0.1.nip.io', says: 'https' },
  { input: 'https://panel.example.com/server/abcd1234', says: 'base address https://panel.example.com' },
  { input: 'https://panel.example.com/server/abcd1234/console', says: 'abcd1234' },
  { input: 'https://panel.example.com/panel', says: 'base address https://panel.example.com' },
  { input: 'https://panel.example.com/api/client', says: 'base address https://panel.example.com' },
  { input: 'https://panel.example.com/?page=2', says: 'base address https://panel.example.com' },
  { input: 'https://panel.example.com/#/server/abcd1234', says: 'base address' },
  { input: 'https://panel.example.com\\@evil.com', says: 'base address https://panel.example.com' },
  { input: 'https://admin:hunter2@panel.example.com', says: 'user name or password; use https://panel.example.com' },
  { input: 'https://ptlc_secret@panel.example.com', says: 'user name or password' },
  { input: 'http://169.254.169.254/latest/meta-data', policy: httpOk, says: 'link-local or cloud-metadata' },
  { input: 'https://169.254.10.1', says: 'link-local' },
  { input: 'http://2852039166/', policy: httpOk, says: '169.254.169.254' },
  { input: 'http://0xA9.0xFE.0xA9.0xFE', policy: httpOk, says: '169.254.169.254' },
  { input: 'http://[::ffff:169.254.169.254]', policy: httpOk, says: 'link-local' },
  { input: 'http://[fe80::1]:8080', policy: httpOk, says: 'link-local' },
  { input: 'https://[FEBF::abcd]', says: 'link-local' },
  { input: 'https://metadata.google.internal', says: 'cloud-metadata' },
  { input: 'https://METADATA.GOOGLE.INTERNAL./', says: 'cloud-metadata' },
  { input: 'http://metadata', policy: httpOk, says: 'cloud-metadata' },
  { input: 'https://100.100.100.200', says: 'cloud-metadata' },
  { input: 'http://[fd00:ec2::254]', policy: httpOk, says: 'cloud-metadata' },
  { input: 'http://0.0.0.0:8080', policy: httpOk, says: 'never accepted' },
  { input: 'file:///etc/passwd', says: 'must start with https://' },
  { input: 'javascript:alert(1)', says: 'must start with https://' },
  { input: 'JavaScript://panel.example.com/%0aalert(1)', says: 'must start with https://' },
  { input: 'data:text/html,hi', says: 'must start with https://' },
  { input: 'ftp://panel.example.com', says: 'must start with https://' },
  { input: 'wss://panel.example.com', says: 'must start with https://' },
  { input: 'panel.example.com', says: 'use https://panel.example.com' },
  { input: 'panel.example.com:8443/', says: 'use https://panel.example.com:8443' },
  { input: '', says: "Give the panel's web address" },
  { input: '   ', says: "Give the panel's web address" },
  { input: 'https://', says: 'not a web address' },
  { input: 'https://exa mple.com', says: 'not a web address' },
  { input: `https://${'a'.repeat(3000)}.com`, says: "Give the panel's web address" },
  { input: 'https://other.example.com', policy: only('panel.example.com'), says: 'PANEL_URL_ALLOWLIST' },
  { input: 'https://panel.example.com', policy: only('example.com'), says: 'not on this bot' },
  { input: 'https://panel.example.com', policy: only('panel.example.com:8443'), says: 'PANEL_URL_ALLOWLIST' },
  {
    input: 'https://evil.com\\@panel.example.com',
    policy: only('panel.example.com'),
    says: 'base address https://evil.com',
  },
  { input: 'http://127.0.0.1:8080', policy: only('panel.example.com'), says: 'PANEL_URL_ALLOWLIST' },
  { input: 'http://169.254.169.254', policy: only('169.254.169.254'), says: 'link-local' },
];

describe('normalizePanelUrl: accepted addresses', () => {
  it.each(accepted)('$input → $origin', ({ input, policy, origin }) => {
    expect(normalizePanelUrl(input, policy ?? strict)).toBe(origin);
  });
});

describe('normalizePanelUrl: refused addresses', () => {
  it.each(refused)('$input is refused', ({ input, policy, says }) => {
    let caught: unknown;
    try {
      normalizePanelUrl(input, policy ?? strict);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PanelUrlError);
    const err = caught as PanelUrlError;
    if (typeof says === 'string') expect(err.userMessage).toContain(says);
    else expect(err.userMessage).toMatch(says);
    expect(err.message).toBe(err.userMessage);
    // One sentence, never the credentials that were typed.
    expect(err.userMessage).not.toMatch(/hunter2|ptlc_secret/);
    expect(err.userMessage.trim().endsWith('.')).toBe(true);
  });

  it('has at least 30 cases in the two tables', () => {
    expect(accepted.length + refused.length).toBeGreaterThanOrEqual(30);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['a.localhost', true],
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['[::1]', true],
    ['[::ffff:7f00:1]', true],
    ['128.0.0.1', false],
    ['[::2]', false],
    ['localhost.example.com', false],
    ['panel.example.com', false],
  ])('%s → %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe('parseAllowlistEntry', () => {
  it.each([
    ['panel.example.com', { hostname: 'panel.example.com' }],
    [' Panel.Example.COM ', { hostname: 'panel.example.com' }],
    ['panel.example.com:8443', { hostname: 'panel.example.com', port: '8443' }],
    ['[::1]:8080', { hostname: '[::1]', port: '8080' }],
    ['::1', { hostname: '[::1]' }],
    ['https://panel.example.com/', { hostname: 'panel.example.com' }],
    ['bücher.example', { hostname: 'xn--bcher-kva.example' }],
    ['', undefined],
  ])('%j → %j', (entry, parsed) => {
    expect(parseAllowlistEntry(entry)).toEqual(parsed);
  });
});
