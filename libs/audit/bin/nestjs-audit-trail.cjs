#!/usr/bin/env node
// `npx nestjs-audit-trail mcp --database-url <url>`: the audit trail's MCP tools over stdio.
require('../dist/mcp/audit-mcp.cli.js').main(process.argv.slice(2));
