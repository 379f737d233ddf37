/**
 * The secret search: every planted secret (bot token, API keys, encryption key in base64/base64url/hex, each JWT the
 * panel minted for the bot) and anything shaped like a JWT, looked for in a text, a buffer or a file of any size.
 * Findings name the secret by label and where it was, never the secret itself.
 */
import { open } from 'node:fs/promises';

export interface Secret {
  label: string;
  value: string;
}

/** A JWT as Wings tokens look: base64url JSON header and payload, then a signature. */
export const JWT_SHAPE = /eyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]+/;

/** The encryption key in every spelling an operator could have configured or a careless log could print. */
export function encryptionKeySecrets(key: Buffer): Secret[] {
  return [
    { label: 'ENCRYPTION_KEY (base64)', value: key.toString('base64') },
    { label: 'ENCRYPTION_KEY (base64url)', value: key.toString('base64url') },
    { label: 'ENCRYPTION_KEY (hex)', value: key.toString('hex') },
  ];
}

export function findInText(text: string, secrets: readonly Secret[], where: string): string[] {
  const found: string[] = [];
  for (const s of secrets) if (s.value && text.includes(s.value)) found.push(`${s.label} in ${where}`);
  const jwt = JWT_SHAPE.exec(text);
  if (jwt) found.push(`a JWT-shaped string (${jwt[0].slice(0, 12)}…) in ${where}`);
  return found;
}

/** Reads the file in chunks (overlapping by the longest secret) so a multi-GB log needs no more than a chunk of memory. */
export async function findInFile(
  file: string,
  secrets: readonly Secret[],
  where: string,
): Promise<{ found: string[]; bytes: number }> {
  const overlap = Math.max(512, ...secrets.map((s) => s.value.length)) + 16;
  const handle = await open(file, 'r');
  const found = new Set<string>();
  let bytes = 0;
  try {
    const chunk = Buffer.alloc(8 * 1024 * 1024);
    let carry = '';
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      bytes += bytesRead;
      const text = carry + chunk.subarray(0, bytesRead).toString('latin1');
      for (const f of findInText(text, secrets, where)) found.add(f);
      carry = text.slice(-overlap);
    }
  } finally {
    await handle.close();
  }
  return { found: [...found], bytes };
}
