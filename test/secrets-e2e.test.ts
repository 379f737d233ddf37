/**
 * Secret hygiene end to end, in process (§5): the harness's bot at LOG_LEVEL=trace goes through the paths where secrets
 * travel — binding (the key sent to the panel, encrypted into the store), every command, panel buttons, token refreshes
 * and a Wings restart (new JWTs), errors (a dead panel, an unexpected error's reference), removal, and a restart on the
 * same SQLite file with the wrong ENCRYPTION_KEY. Everything the process wrote to stdout/stderr, every log line, every
 * reply and message, and the SQLite file's bytes are searched for the bot token, each API key, ENCRYPTION_KEY (base64,
 * base64url, hex) and each JWT the panel minted (kept by a fetch spy as the bot received them).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptionKeySecrets, findInText, type Secret } from '../chaos/secrets.ts';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { everythingSaid, replyText, run, runText } from './e2e/helpers.ts';

describe('secret hygiene end to end (in process)', () => {
  let world: World;
  const minted: string[] = [];
  const written: string[] = [];
  const realFetch = globalThis.fetch;
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);

  beforeAll(async () => {
    // A spy, not a stub: every panel answer passes through unchanged; websocket tokens are copied out of it.
    globalThis.fetch = async (input, init) => {
      const res = await realFetch(input, init);
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (/\/websocket$/.test(url) && res.ok) {
        const body = (await res.clone().json()) as { data?: { token?: string } };
        if (body.data?.token) minted.push(body.data.token);
      }
      return res;
    };
    const capture = (real: typeof realOut) =>
      ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1'));
        return (real as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof process.stdout.write;
    process.stdout.write = capture(realOut);
    process.stderr.write = capture(realErr);
    world = await startWorld({ panel: { tokenLifetimeSec: 600 } });
    await world.startBot();
  });
  afterAll(async () => {
    globalThis.fetch = realFetch;
    process.stdout.write = realOut;
    process.stderr.write = realErr;
    await world?.close();
  });

  it('no secret in logs, output, replies, messages or the store file', async () => {
    const { server, apiKey } = world.addPanelServer('Survival');
    const dead = world.addPanelServer('Ghost');
    const wrongKey = `ptlc_${randomBytes(32).toString('hex').slice(0, 43)}`;
    const consoleId = world.guild.channel('console').id;
    expect(await replyText(await world.bind('Survival', server, apiKey, { console_channel: consoleId }))).toMatch(
      /^Bound/,
    );
    expect(await replyText(await world.bind('Ghost', dead.server, wrongKey))).toMatch(/did not accept the API key/);
    await eventually(() => world.panel.metrics.openSockets(server.uuid) === 1, 'the socket');
    expect(await runText(world, { name: 'start' }, (t) => t.includes('✅'))).toMatch(/running/);
    server.emitConsole(['[INFO]: hello', '[INFO]: world']);
    expect(await runText(world, { name: 'cmd', options: { command: 'say hi' } })).toMatch(/^Sent/);
    await runText(world, { name: 'logs', options: { lines: 5 } });
    const stats = run(world, { name: 'stats', member: world.member });
    await eventually(() => (stats.final()?.embeds?.length ?? 0) > 0, '/stats');
    await runText(world, { name: 'panel' });

    // New JWTs: a reconnect with short tokens (then a refresh on the socket), and a Wings restart (denylist).
    world.panel.setTokenLifetimeSec(4);
    const before = minted.length;
    world.panel.faults.dropSockets(server.uuid);
    await eventually(() => minted.length >= before + 2, 'a reconnect and a refresh', 20_000);
    world.panel.setTokenLifetimeSec(600);
    world.panel.faults.restartWings();
    await eventually(() => minted.length >= before + 3, 'a token after the restart', 20_000);
    await eventually(() => world.panel.metrics.openSockets(server.uuid) === 1, 'the socket again', 20_000);

    // Errors: the panel goes away (HTML 502s) while someone asks for stats; then the binding is removed.
    world.panel.faults.panelFailures({ status: 502, count: 50, body: '<html>down</html>' });
    await runText(world, { name: 'restart' }, (t) => t.includes('✅') || t.includes('—'));
    world.panel.faults.panelFailures({ status: 502, count: 0 });
    expect(await runText(world, { name: 'server', subcommand: 'remove', options: { server: 'Survival' } })).toMatch(
      /^Unbound/,
    );

    // A second binding survives a restart with the wrong key: the store is read, the records are unusable.
    const other = world.addPanelServer('Creative');
    expect(await replyText(await world.bind('Creative', other.server, other.apiKey))).toMatch(/^Bound/);
    await world.stopBot();
    const goodKey = world.env.ENCRYPTION_KEY ?? '';
    world.env.ENCRYPTION_KEY = randomBytes(32).toString('hex');
    await world.startBot();
    expect(await runText(world, { name: 'start', options: { server: 'Creative' } })).toMatch(/cannot be used/);
    await world.stopBot();

    const secrets: Secret[] = [
      { label: 'bot token', value: world.discord.botToken },
      { label: 'API key', value: apiKey },
      { label: 'second API key', value: other.apiKey },
      { label: 'wrong API key', value: wrongKey },
      ...encryptionKeySecrets(Buffer.from(goodKey, 'base64')),
      ...encryptionKeySecrets(Buffer.from(world.env.ENCRYPTION_KEY, 'hex')),
      ...minted.map((token, i) => ({ label: `JWT #${i + 1}`, value: token })),
    ];
    expect(minted.length).toBeGreaterThanOrEqual(4);
    expect(world.logs.lines.length).toBeGreaterThan(20);
    // The search can fail: a planted secret is found by name and, for a JWT, by shape.
    expect(findInText(`…${minted[0]}…`, secrets, 'a control text')).toHaveLength(2);
    const store = (await readFile(path.join(world.dir, 'store.sqlite'))).toString('latin1');
    expect(store).toContain('Creative'); // the store file the bot used
    expect([
      ...findInText(world.logs.text, secrets, 'the log'),
      ...findInText(written.join(''), secrets, 'stdout/stderr'),
      ...findInText(everythingSaid(world), secrets, 'Discord'),
      ...findInText(store, secrets, 'the SQLite file'),
    ]).toEqual([]);
  }, 120_000);
});
