import { execFile } from 'node:child_process';

export interface LoadResult {
  requests: number;
  durationSeconds: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests that failed, timed out or answered other than 2xx. */
  failures: number;
}

export interface LoadOptions {
  url: string;
  method: 'GET' | 'POST';
  body?: unknown;
  connections: number;
  seconds: number;
}

/**
 * Runs autocannon in a child process: a load generator in the server's own event loop would steal
 * the very time being measured.
 */
export function generateLoad(options: LoadOptions): Promise<LoadResult> {
  const args = [
    require.resolve('autocannon'),
    '--json',
    '--no-progress',
    '--connections',
    String(options.connections),
    '--duration',
    String(options.seconds),
    '--method',
    options.method,
  ];
  if (options.body !== undefined) {
    args.push('--headers', 'content-type=application/json', '--body', JSON.stringify(options.body));
  }
  args.push(options.url);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`autocannon failed: ${error.message}\n${stderr}`));
        return;
      }
      try {
        const result = JSON.parse(stdout);
        resolve({
          requests: Number(result.requests.total),
          durationSeconds: Number(result.duration),
          p50Ms: Number(result.latency.p50),
          p99Ms: Number(result.latency.p99),
          failures: Number(result.errors) + Number(result.timeouts) + Number(result.non2xx),
        });
      } catch (parseError) {
        reject(new Error(`autocannon printed no JSON result: ${String(parseError)}\n${stdout}\n${stderr}`));
      }
    });
  });
}
