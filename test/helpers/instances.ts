import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

const BIN = fileURLToPath(new URL('../../bin/latchkey.js', import.meta.url));


export interface Instance {
  url: string;
  stdout: () => string;
  process: ChildProcess;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a real `latchkey serve` process (the built bin) and waits until it listens. */
export async function startInstance(env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve'], {
    // The admin listener on a free port of its own: several instances share this machine.
    env: { PATH: process.env.PATH, LATCHKEY_PORT: String(port), LATCHKEY_ADMIN_LISTEN: '127.0.0.1:0', LATCHKEY_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk) => (out += String(chunk)));
  child.stderr!.on('data', (chunk) => (out += String(chunk)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`instance exited early: ${out}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`instance did not start: ${out}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    stdout: () => out,
    process: child,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

/** Runs the CLI with the same environment as the instances; returns its --json output. */
export async function cliJson(env: Record<string, string>, args: string[]): Promise<any> {
  const child = spawn(process.execPath, [BIN, ...args, '--json'], { env: { PATH: process.env.PATH, LATCHKEY_LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => (out += String(chunk)));
  child.stderr.on('data', (chunk) => (err += String(chunk)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`latchkey ${args.join(' ')} failed (${code}): ${err}`);
  return JSON.parse(out);
}
