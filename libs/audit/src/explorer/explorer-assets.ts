import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The prebuilt page assets (built from libs/audit/explorer-ui by scripts/build-explorer.mjs). */
export interface ExplorerAssets {
  script: string;
  style: string;
}

export const ASSETS_FOLDER = join(__dirname, 'assets');

/** Reads the assets once at start-up: a package shipped without them fails here, not on first visit. */
export function loadExplorerAssets(folder: string = ASSETS_FOLDER): ExplorerAssets {
  try {
    return {
      script: readFileSync(join(folder, 'explorer.js'), 'utf8'),
      style: readFileSync(join(folder, 'explorer.css'), 'utf8'),
    };
  } catch (error) {
    throw new Error(
      `nestjs-audit-trail: the explorer's prebuilt assets are missing from ${folder} ` +
        `(${(error as Error).message}); a package build (npm run build in libs/audit) produces them`,
      { cause: error },
    );
  }
}

/**
 * Everything the page may load comes from this server; no inline script or style, no other host,
 * no framing, no form posting elsewhere. The page works offline.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[character] as string,
  );
}

/** The page's HTML shell: the script renders into #explorer and reads its base path and trails from it. */
export function explorerHtml(base: string, trails: { data: boolean; api: boolean }): string {
  const at = escapeHtml(base);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Audit trail explorer</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${at}/assets/explorer.css">
<script defer src="${at}/assets/explorer.js"></script>
</head>
<body>
<div id="explorer" data-base="${at}" data-data-trail="${trails.data}" data-api-trail="${trails.api}">
<noscript>The audit trail explorer needs JavaScript.</noscript>
</div>
</body>
</html>
`;
}
