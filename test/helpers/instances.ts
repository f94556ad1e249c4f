import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/latchkey.js', import.meta.url));


export interface Instance {
  url: string;
  /** The admin listener (LATCHKEY_ADMIN_LISTEN), or undefined when it is off. */
  adminUrl: string | undefined;
  stdout: () => string;
  process: ChildProcess;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts a real `latchkey serve` process (the built bin) on a port it binds itself (LATCHKEY_PORT=0)
 * and waits for its "latchkey listening" log line, which names the port bound.
 */
export async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    // The admin listener on a free port of its own: several instances share this machine. Log level
    // info: the "latchkey listening" line is how this helper learns the port.
    env: { PATH: process.env.PATH, LATCHKEY_PORT: '0', LATCHKEY_ADMIN_LISTEN: '127.0.0.1:0', LATCHKEY_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const { url, adminUrl } = await new Promise<{ url: string; adminUrl: string | undefined }>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += String(chunk);
      const line = out.split('\n').find((l) => l.includes('"msg":"latchkey listening"'));
      if (!line) return;
      const logged = JSON.parse(line) as { url: string; adminUrl: string };
      resolve({ url: logged.url, adminUrl: logged.adminUrl === 'off' ? undefined : logged.adminUrl });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`instance exited early (${code}): ${out}`)));
  });
  return {
    url,
    adminUrl,
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
