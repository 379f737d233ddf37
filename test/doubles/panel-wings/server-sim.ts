// One simulated game server as Wings runs it: power state machine (§7.3, §9), console pipeline with throttle and
// container log (§8), stats (§7.1/7.2) and crash handling (§8.4, §8.6). Sockets subscribe to `bus` ('message').
import { EventEmitter } from 'node:events';
import type { Clock } from './clock.ts';
import { ConsoleThrottle } from './console-throttle.ts';
import type { Flavour } from './jwt.ts';
import { memoryLimitBytes, type SimStats, sampleRunning, statsPayload, zero } from './stats.ts';

export type ServerState = 'offline' | 'starting' | 'running' | 'stopping';
export type PowerAction = 'start' | 'stop' | 'restart' | 'kill';
export type Via = 'ws' | 'rest' | 'double';

export interface ServerBehaviour {
  /** Time from `starting` until the game prints `doneLine` (which flips the state to running). Default 50. */
  startDelayMs?: number;
  /** Line the game prints when booted; null = never (the server stays `starting` until a matching line is emitted). */
  doneLine?: string | null;
  /** Egg "done" detection: a console line containing this text moves starting → running. Default 'Done ('. */
  donePattern?: string;
  /** Egg stop command (stop type "command"); sending exactly this text moves the state to stopping. Default 'stop'. */
  stopCommand?: string;
  /** Time the process takes to exit after receiving the stop command. Default 50; null = never exits by itself. */
  stopDelayMs?: number | null;
  /** Wings kills a process that has not stopped within this time (10 minutes in Wings). */
  stopTimeoutMs?: number;
  /** The game's reaction to a line on stdin. Default: echo `> cmd`, then `Unknown command: cmd` (or `Stopping server...`). */
  onCommand?: (command: string, server: ServerSim) => void;
  memoryLimitMb?: number;
  diskLimitMb?: number;
  crashDetection?: boolean;
  detectCleanExitAsCrash?: boolean;
}

export interface SimEnv {
  clock: Clock;
  flavour: Flavour;
  statsIntervalMs: number;
  throttleLines: number;
  throttleIntervalMs: number;
  crashTimeoutSec: number;
}

export class PowerError extends Error {
  constructor(
    message: string,
    /** The lock error is shown to every user; the rest only to admin.websocket.errors holders. */
    readonly lockBusy = false,
  ) {
    super(message);
  }
}

export const ERR_LOCKED = 'another power action is currently being processed for this server, please try again later';
export const ERR_RUNNING = 'server is running';
export const ERR_SUSPENDED = 'server is currently in a suspended state';
export const ERR_INSTALLING = 'server is currently installing';
export const ERR_TRANSFERRING = 'server is currently being transferred';
export const ERR_UNKNOWN_ACTION = 'attempting to handle unknown power action';
const MAX_LINE = 64 * 1024;
const MAX_LOG = 100_000;

export class ServerSim {
  state: ServerState = 'offline';
  suspended = false;
  installing = false;
  transferring = false;
  deleted = false;
  /** Game output since the last start, as `docker logs` has it (includes empty and throttled lines). */
  readonly containerLog: string[] = [];
  /** Public notifications for tests: 'state', 'console', 'command', 'power', 'auth', 'socket', 'frame', 'crash'. */
  readonly events = new EventEmitter();
  /** The server's event bus as Wings' websocket listeners see it. */
  readonly bus = new EventEmitter();
  readonly behaviour: Required<Omit<ServerBehaviour, 'onCommand'>> & Pick<ServerBehaviour, 'onCommand'>;
  stats: SimStats = { memoryBytes: 0, cpuAbsolute: 0, rxBytes: 0, txBytes: 0, diskBytes: 104_857_600 };
  private attached = false;
  private powerLocked = false;
  private startedAt = 0;
  private lastCrashAt = 0;
  private readonly throttle: ConsoleThrottle;
  private timers = new Set<NodeJS.Timeout>();
  private statsTimer: NodeJS.Timeout | undefined;
  private exitWaiters: Array<() => void> = [];

  constructor(
    private readonly env: SimEnv,
    readonly uuid: string,
    behaviour: ServerBehaviour,
  ) {
    this.throttle = new ConsoleThrottle(env.throttleLines, env.throttleIntervalMs, () => env.clock.now());
    this.bus.setMaxListeners(0);
    this.events.setMaxListeners(0);
    this.behaviour = {
      startDelayMs: behaviour.startDelayMs ?? 50,
      doneLine: behaviour.doneLine === undefined ? 'Done (0.050s)! For help, type "help"' : behaviour.doneLine,
      donePattern: behaviour.donePattern ?? 'Done (',
      stopCommand: behaviour.stopCommand ?? 'stop',
      stopDelayMs: behaviour.stopDelayMs === undefined ? 50 : behaviour.stopDelayMs,
      stopTimeoutMs: behaviour.stopTimeoutMs ?? 600_000,
      onCommand: behaviour.onCommand,
      memoryLimitMb: behaviour.memoryLimitMb ?? 1024,
      diskLimitMb: behaviour.diskLimitMb ?? 0,
      crashDetection: behaviour.crashDetection ?? true,
      detectCleanExitAsCrash: behaviour.detectCleanExitAsCrash ?? true,
    };
  }

  /** starting/running/stopping: the container exists and runs (Wings' IsRunning). */
  get containerRunning(): boolean {
    return this.state !== 'offline';
  }

  private publish(event: string, args: string[]): void {
    this.bus.emit('message', event, args);
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  daemonLine(text: string): string {
    const app = this.env.flavour === 'pelican' ? 'pelican' : 'Pterodactyl';
    return `\u001b[33m\u001b[1m[${app} Daemon]:\u001b[39m ${text}\u001b[0m`;
  }

  /** Wings' own console line: not throttled, not in the container log. */
  publishDaemon(text: string): void {
    const line = this.daemonLine(text);
    this.publish('console output', [line]);
    this.events.emit('console', line, true);
  }

  /** Game output. Throws when the container is not running (a stopped process prints nothing). */
  emitConsole(lines: string | readonly string[]): void {
    if (!this.containerRunning) throw new Error(`server ${this.uuid} is offline: start it before emitting console`);
    const list = typeof lines === 'string' ? lines.split('\n') : lines;
    for (const raw of list) this.processLine(raw);
  }

  private processLine(raw: string): void {
    const line = raw.replaceAll(' \r', '\r\n').slice(0, MAX_LINE);
    this.containerLog.push(line);
    if (this.containerLog.length > MAX_LOG) this.containerLog.splice(0, this.containerLog.length - MAX_LOG);
    if (line === '') return;
    const verdict = this.throttle.check();
    if (verdict === 'pass') {
      this.publish('console output', [line]);
      this.events.emit('console', line, false);
    } else if (verdict === 'notice') {
      this.publishDaemon('Server is outputting console data too quickly -- throttling...');
    }
    // Startup detection sees every line, throttled or not, after it was published.
    if (this.state === 'starting' && line.includes(this.behaviour.donePattern)) this.setState('running');
  }

  setState(next: ServerState): void {
    if (next === this.state) return;
    const prev = this.state;
    this.state = next;
    this.publish('status', [next]);
    this.events.emit('state', next, prev);
    if (next === 'offline') {
      this.stopStats();
      zero(this.stats);
      this.publish('stats', [this.statsJson()]);
    }
  }

  memoryLimitBytes(): number {
    return memoryLimitBytes(this.behaviour.memoryLimitMb);
  }

  uptimeMs(): number {
    return this.containerRunning ? Math.max(0, this.env.clock.now() - this.startedAt) : 0;
  }

  /** Wings' Proc() as JSON (stats payload, §7.1). */
  statsJson(): string {
    return statsPayload(this.stats, this.behaviour.memoryLimitMb, this.uptimeMs(), this.state, this.env.flavour);
  }

  private startStats(): void {
    this.stopStats();
    this.statsTimer = setInterval(() => {
      if (!this.containerRunning) return;
      sampleRunning(this.stats, this.uptimeMs());
      this.publish('stats', [this.statsJson()]);
    }, this.env.statsIntervalMs);
  }

  private stopStats(): void {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = undefined;
  }

  private checkStateConflicts(): void {
    if (this.transferring) throw new PowerError(ERR_TRANSFERRING);
    if (this.installing) throw new PowerError(ERR_INSTALLING);
  }

  /** Wings' HandlePowerAction. Resolves when the action is done (stop/restart: process gone). */
  async power(action: string, via: Via): Promise<void> {
    this.events.emit('power', action, via);
    this.checkStateConflicts();
    if (action === 'kill') {
      this.terminate();
      return;
    }
    if (this.powerLocked) throw new PowerError(ERR_LOCKED, true);
    this.powerLocked = true;
    try {
      if (action === 'start') {
        if (this.state !== 'offline') throw new PowerError(ERR_RUNNING);
        this.bootProcess();
      } else if (action === 'stop' || action === 'restart') {
        await this.waitForStop();
        if (action === 'restart') this.bootProcess();
      } else {
        throw new PowerError(ERR_UNKNOWN_ACTION);
      }
    } finally {
      this.powerLocked = false;
    }
  }

  private bootProcess(): void {
    if (this.suspended) throw new PowerError(ERR_SUSPENDED);
    if (this.behaviour.diskLimitMb > 0) {
      this.publishDaemon('Checking server disk space usage, this could take a few seconds...');
    }
    this.publishDaemon('Updating process configuration files...');
    this.publishDaemon('Ensuring file permissions are set correctly, this could take a few seconds...');
    this.containerLog.length = 0;
    this.throttle.reset();
    this.startedAt = this.env.clock.now();
    this.setState('starting');
    this.attached = true;
    this.startStats();
    const { doneLine, startDelayMs } = this.behaviour;
    if (doneLine !== null) {
      this.later(startDelayMs, () => {
        if (this.state === 'starting') this.emitConsole([doneLine]);
      });
    }
  }

  /** Sends the stop command (egg stop type "command") and waits for the process to exit, killing it after the timeout. */
  private waitForStop(): Promise<void> {
    if (this.state === 'offline') return Promise.resolve();
    const done = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    const killer = this.later(this.behaviour.stopTimeoutMs, () => this.terminate());
    this.writeStdin(this.behaviour.stopCommand);
    return done.finally(() => {
      clearTimeout(killer);
      this.timers.delete(killer);
    });
  }

  /** Kill: ignores the power lock; running → stopping → offline at once. */
  terminate(): void {
    if (this.state === 'offline') return;
    this.setState('stopping');
    this.processExited(137, false);
  }

  /** Wings' `send command` / REST command after its own checks. Returns false when silently discarded. */
  sendCommand(command: string, via: Via): boolean {
    if (!this.containerRunning || !this.attached) return false;
    this.events.emit('command', command, via);
    this.writeStdin(command);
    return true;
  }

  private writeStdin(command: string): void {
    if (command === this.behaviour.stopCommand && this.state !== 'stopping') this.setState('stopping');
    const hook = this.behaviour.onCommand;
    if (hook) hook(command, this);
    else if (command === this.behaviour.stopCommand) this.emitConsole([`> ${command}`, 'Stopping server...']);
    else this.emitConsole([`> ${command}`, `Unknown command: ${command}`]);
    const delay = this.behaviour.stopDelayMs;
    if (command === this.behaviour.stopCommand && delay !== null) {
      this.later(delay, () => {
        if (this.state === 'stopping') this.processExited(0, false);
      });
    }
  }

  /** The game process ends on its own while starting/running: a crash (§8.6). */
  crash(options: { exitCode?: number; oom?: boolean } = {}): void {
    if (this.state === 'offline') throw new Error(`server ${this.uuid} is offline: nothing to crash`);
    this.processExited(options.exitCode ?? 1, options.oom ?? false);
  }

  private processExited(exitCode: number, oom: boolean): void {
    const prev = this.state;
    this.attached = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.setState('offline');
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const w of waiters) w();
    if (prev === 'starting' || prev === 'running') this.handleCrash(exitCode, oom);
  }

  private handleCrash(exitCode: number, oom: boolean): void {
    this.events.emit('crash', exitCode, oom);
    if (!this.behaviour.crashDetection) {
      this.publishDaemon('Aborting automatic restart, crash detection is disabled for this instance.');
      return;
    }
    if (exitCode === 0 && !oom && !this.behaviour.detectCleanExitAsCrash) return;
    this.publishDaemon('---------- Detected server process in a crashed state! ----------');
    this.publishDaemon(`Exit code: ${exitCode}`);
    this.publishDaemon(`Out of memory: ${oom}`);
    const now = this.env.clock.now();
    const timeout = this.env.crashTimeoutSec;
    if (this.lastCrashAt !== 0 && this.lastCrashAt + timeout * 1000 > now) {
      this.publishDaemon(`Aborting automatic restart, last crash occurred less than ${timeout} seconds ago.`);
      return;
    }
    this.lastCrashAt = now;
    this.power('start', 'double').catch(() => undefined);
  }

  /** Publishes any event to the sockets (e.g. 'install output', 'backup completed', 'transfer status'). */
  publishEvent(event: string, args: string[]): void {
    this.publish(event, args);
  }

  /** Stops every timer; used by remove() and the double's close(). */
  dispose(): void {
    this.stopStats();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
