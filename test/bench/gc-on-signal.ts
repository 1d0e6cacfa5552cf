/**
 * Preloaded into the processes whose memory the bench measures (with --expose-gc): SIGUSR2 runs a
 * full garbage collection, so an RSS sample counts what the sockets keep, not garbage V8 has not
 * collected yet. Bench-only; the server itself never exposes gc.
 */
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
});
