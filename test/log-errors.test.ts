/**
 * Errors from discord.js carry the request URL (with the interaction or webhook token in its path) and the body we sent;
 * the logger must keep neither, whichever way the error reaches it.
 */
import { Writable } from 'node:stream';
import { DiscordAPIError, HTTPError } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { createLogger, redactTokenPaths } from '../src/log.ts';

const INTERACTION_TOKEN = `aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OnNlY3JldHNlY3JldHNlY3JldA${'x'.repeat(100)}`;
const WEBHOOK_TOKEN = 'wHkT0ken-_SeCrEt.abcdefghijklmnopqrstuvwxyz0123456789';
const MEMBER_TEXT = 'my private message to the server';

function capture() {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), text: () => chunks.join('') };
}

function interactionError(): DiscordAPIError {
  return new DiscordAPIError(
    {
      code: 50035,
      message: 'Invalid Form Body',
      errors: { data: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer.' }] } } },
    },
    50035,
    400,
    'POST',
    `https://discord.com/api/v10/interactions/1234567890123456789/${INTERACTION_TOKEN}/callback?with_response=false`,
    { body: { type: 4, data: { content: MEMBER_TEXT } }, files: undefined },
  );
}

function webhookError(): HTTPError {
  return new HTTPError(
    503,
    'Service Unavailable',
    'PATCH',
    `/webhooks/1122334455667788990/${WEBHOOK_TOKEN}/messages/@original`,
    {
      body: { content: MEMBER_TEXT },
      files: undefined,
    },
  );
}

describe('logging errors', () => {
  it.each([
    ['as `err`', (log: ReturnType<typeof capture>['logger']) => log.error({ err: interactionError() }, 'reply failed')],
    ['as the first argument', (log: ReturnType<typeof capture>['logger']) => log.error(interactionError())],
    ['as `error`', (log: ReturnType<typeof capture>['logger']) => log.warn({ error: interactionError() }, 'x')],
    [
      'as the cause of another error',
      (log: ReturnType<typeof capture>['logger']) =>
        log.error({ err: new Error('could not answer', { cause: interactionError() }) }, 'x'),
    ],
    ['a webhook HTTPError', (log: ReturnType<typeof capture>['logger']) => log.warn({ err: webhookError() }, 'x')],
    [
      'a rate-limit bucket key',
      (log: ReturnType<typeof capture>['logger']) =>
        log.warn(
          { err: { majorParameter: `1122334455667788990/${WEBHOOK_TOKEN}`, route: '/webhooks/:id/:token' } },
          'x',
        ),
    ],
    [
      'a message that quotes the path',
      (log: ReturnType<typeof capture>['logger']) =>
        log.warn({ err: new Error(`request to /webhooks/1122334455667788990/${WEBHOOK_TOKEN} failed`) }, 'x'),
    ],
  ])('keeps tokens and request bodies out of the log (%s)', (_how, write) => {
    const out = capture();
    write(out.logger);
    const text = out.text();
    expect(text).not.toContain(INTERACTION_TOKEN.slice(0, 40));
    expect(text).not.toContain(WEBHOOK_TOKEN);
    expect(text).not.toContain(MEMBER_TEXT);
    expect(text).not.toContain('requestBody');
  });

  it('keeps what an operator needs: status, code, method, the redacted route and the reason', () => {
    const out = capture();
    out.logger.error({ err: interactionError() }, 'reply failed');
    const line = JSON.parse(out.text()) as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({
      status: 400,
      code: 50035,
      method: 'POST',
      url: 'https://discord.com/api/v10/interactions/1234567890123456789/[redacted]/callback?with_response=false',
      rawError: { code: 50035, message: 'Invalid Form Body' },
    });
    expect(String(line.err.message)).toContain('BASE_TYPE_MAX_LENGTH');
    expect(String(line.err.stack)).toContain('Invalid Form Body');
  });

  it.each([
    ['/interactions/1/abc/callback', '/interactions/1/[redacted]/callback'],
    ['/webhooks/22/tok/messages/@original', '/webhooks/22/[redacted]/messages/@original'],
    [
      'https://discord.com/api/v10/webhooks/22/tok?wait=true',
      'https://discord.com/api/v10/webhooks/22/[redacted]?wait=true',
    ],
    ['/channels/1/messages/2', '/channels/1/messages/2'],
    ['/webhooks/22', '/webhooks/22'],
  ])('redactTokenPaths(%s)', (input, expected) => {
    expect(redactTokenPaths(input)).toBe(expected);
  });
});
