// HTTP plumbing for the panel double: Laravel/pterodactyl error JSON, Accept negotiation, bodies.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface ErrorEntry {
  code: string;
  status: string;
  detail: string;
  meta?: { source_field: string; rule: string };
}

/** Thrown by route code; rendered as the panel's `{"errors":[…]}` JSON. */
export class PanelHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
    readonly entries?: ErrorEntry[],
  ) {
    super(detail);
  }

  body(): { errors: ErrorEntry[] } {
    return { errors: this.entries ?? [{ code: this.code, status: String(this.status), detail: this.detail }] };
  }
}

export const TEXT = {
  unauthenticated: 'Unauthenticated.',
  unauthorized: 'This action is unauthorized.',
  applicationKey: 'You are attempting to use an application API key on an endpoint that requires a client API key.',
  notFoundUnknown: 'The requested resource could not be found on the server.',
  notFoundNoAccess: 'The requested resource does not exist on this server.',
  suspended: 'This server is currently suspended and the functionality requested is unavailable.',
  maintenance: 'The node of this server is currently under maintenance and the functionality requested is unavailable.',
  installing: 'This server has not yet completed its installation process, please try again later.',
  transferring: 'This server is currently being transferred to a new machine, please try again later.',
  tooMany: 'Too Many Attempts.',
  wsForbidden: "You do not have permission to connect to this server's websocket.",
  daemonDown: 'Could not establish a connection to the machine running this server. Please try again.',
  commandOffline: 'Server must be online in order to send commands.',
  internal: 'An unexpected error was encountered while processing this request, please try again.',
  ipDenied: (ip: string) =>
    `This IP address (${ip}) does not have permission to access the API using these credentials.`,
};

/** Laravel expectsJson(): (ajax && accepts anything) || wantsJson (first Accept type contains /json or +json). */
export function expectsJson(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  const first = (accept.split(',')[0] ?? '').trim().toLowerCase();
  if (first.includes('/json') || first.includes('+json')) return true;
  const ajax = (req.headers['x-requested-with'] ?? '') === 'XMLHttpRequest';
  return ajax && (first === '' || first === '*/*' || first === '*');
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers);
  res.end();
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Laravel input(): JSON when Content-Type says so (IsValidJson → 400 when malformed), else form fields. */
export function parseInput(req: IncomingMessage, raw: string): Record<string, unknown> {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('/json') || type.includes('+json')) {
    if (raw.trim() === '') return {};
    try {
      const value: unknown = JSON.parse(raw);
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : {};
    } catch {
      throw new PanelHttpError(
        400,
        'BadRequestHttpException',
        'The JSON data passed in the request appears to be malformed: err_code: 4 err_message: "Syntax error"',
      );
    }
  }
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  return {};
}

/** Laravel's TrimStrings + ConvertEmptyStringsToNull, then the required/string/in/min rules used by the routes. */
export function validateField(
  input: Record<string, unknown>,
  field: string,
  rules: { in?: readonly string[] },
): string {
  let value = input[field];
  if (typeof value === 'string') value = value.trim() === '' ? null : value.trim();
  const entry = (rule: string, detail: string): ErrorEntry => ({
    code: 'ValidationException',
    status: '422',
    detail,
    meta: { source_field: field, rule },
  });
  const errors: ErrorEntry[] = [];
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
    errors.push(entry('required', `The ${field} field is required.`));
  } else {
    if (typeof value !== 'string') errors.push(entry('string', `The ${field} field must be a string.`));
    if (rules.in && !rules.in.includes(String(value))) errors.push(entry('in', `The selected ${field} is invalid.`));
  }
  if (errors.length > 0) throw new PanelHttpError(422, 'ValidationException', errors[0]?.detail ?? '', {}, errors);
  return value as string;
}
