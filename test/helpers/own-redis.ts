import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { eventually } from './clients.js';

/**
 * A redis-server of the test's own on `port`, with an append-only file fsynced at every write, so a
 * restart on the same `dir` keeps the data, as in production. For tests that stop Redis.
 */
export async function startOwnRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--dir',
      dir,
    ],
    { stdio: 'ignore' },
  );
  await eventually(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.end();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      }),
  );
  return child;
}

export async function stopOwnRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
