// Loopback address checks shared by the HTTP API, the CLI and the simulators (no dependency on either).

/** isLoopback tells whether a host or IP is in 127.0.0.0/8, ::1 or `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
