import { type ChildProcess, spawn } from 'node:child_process';

export interface ServerProcess {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
}

/**
 * Runs `src/server.ts` as `npm start` does, in its own process, with only the variables given (and
 * PATH, HOME), so a test can kill it with SIGKILL as a crash would.
 */
export function runServerProcess(env: Record<string, string>, script = 'src/server.ts'): ServerProcess {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return { child, output: () => output };
}

/** Polls /healthz until it answers 200 or the time is up; answers the last status (0: no answer). */
export async function healthStatusWithin(port: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let status = 0;
  while (Date.now() < deadline && status !== 200) {
    status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (response) => response.status,
      () => 0,
    );
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return status;
}

export async function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** SIGTERM, as an operator's stop; answers the exit code. */
export async function terminate(child: ChildProcess): Promise<number | null> {
  const exited = exitCode(child);
  child.kill('SIGTERM');
  return exited;
}

/** SIGKILL, as a crash. */
export async function crash(child: ChildProcess): Promise<void> {
  const exited = exitCode(child);
  child.kill('SIGKILL');
  await exited;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
