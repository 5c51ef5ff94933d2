import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { answers } from './databases';

/**
 * Decides once per run which dialects the suites cover. SQLite always; PostgreSQL and MariaDB when
 * they answer. Under CI (CI=true) a server that does not answer fails the run instead of being skipped.
 */
export default async function globalSetup(): Promise<void> {
  // The explorer serves a bundle built from libs/audit/explorer-ui; the tests run the library's
  // sources, so the bundle is built next to them (src/explorer/assets, not committed).
  execFileSync(process.execPath, [join(__dirname, '../../libs/audit/scripts/build-explorer.mjs')], {
    stdio: 'inherit',
    env: { ...process.env, EXPLORER_BUILD_QUIET: '1' },
  });
  const dialects = ['sqlite'];
  const lines: string[] = ['sqlite: embedded (better-sqlite3)'];
  for (const dialect of ['postgres', 'mariadb'] as const) {
    const version = await answers(dialect);
    if (version) {
      dialects.push(dialect);
      lines.push(`${dialect}: ${version}`);
    } else if (process.env.CI === 'true') {
      throw new Error(`${dialect} does not answer, and CI=true makes a missing database a failure, not a skip`);
    } else {
      lines.push(`${dialect}: SKIPPED (no server answered; set CI=true to make this a failure)`);
    }
  }
  process.env.AUDIT_TEST_DIALECTS = dialects.join(',');
  process.stdout.write(`\nDatabases under test:\n  ${lines.join('\n  ')}\n`);
}
