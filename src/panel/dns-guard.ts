/**
 * A DNS lookup for every connection the bot makes to a panel or a Wings node: it refuses names that resolve to
 * link-local or cloud-metadata addresses, so `panel.evil.example → 169.254.169.254` is no way around the URL policy.
 * Checking the addresses the socket actually dials (not a lookup made beforehand) leaves no window for DNS rebinding.
 * Loopback stays allowed: local panels and the test doubles live there.
 */
import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { isForbiddenHost } from './url-policy.ts';

export const FORBIDDEN_ADDRESS = 'ERR_FORBIDDEN_ADDRESS';

export type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;
export type LookupFunction = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/** A resolved address, as dns.lookup reports it ("169.254.169.254", "fe80::1", "::ffff:169.254.169.254"). */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return isForbiddenHost(address);
  if (family !== 6) return false;
  // Through the URL parser: canonical form, the one isForbiddenHost knows ("::ffff:a9fe:a9fe" for a mapped IPv4).
  try {
    return isForbiddenHost(new URL(`http://[${address.replace(/%.*$/, '')}]/`).hostname);
  } catch {
    return true;
  }
}

export function forbiddenAddressError(hostname: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(
    `${hostname} resolves to a link-local or cloud-metadata address; refusing to connect`,
  );
  error.code = FORBIDDEN_ADDRESS;
  return error;
}

/** `resolve` is dns.lookup; tests pass a table. */
export function createGuardedLookup(resolve: LookupFunction = dns.lookup as LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, options, (error, address, family) => {
      if (error) {
        callback(error, address, family);
        return;
      }
      const addresses = Array.isArray(address) ? address.map((a) => a.address) : [address];
      if (addresses.some(isForbiddenAddress)) {
        callback(forbiddenAddressError(hostname), Array.isArray(address) ? [] : '', family);
        return;
      }
      callback(null, address, family);
    });
  };
}

export const guardedLookup: LookupFunction = createGuardedLookup();
