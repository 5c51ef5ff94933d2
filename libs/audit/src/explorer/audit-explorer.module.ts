import { type DynamicModule, Module } from '@nestjs/common';
import { loadExplorerAssets } from './explorer-assets';
import { EXPLORER_ASSETS, EXPLORER_OPTIONS, explorerController } from './explorer.controller';
import { type AuditExplorerOptions, resolveExplorerOptions } from './explorer-options';

/**
 * `AuditExplorerModule.forRoot({ path: '/audit', guard })`: a read-only page on the app's own HTTP
 * server (Express or Fastify) showing a transaction's changes and calls on one time axis, an
 * entity's history and state at any moment, searches with keyset paging, and streamed CSV/NDJSON
 * exports. Needs AuditModule (global, as by default). Opt-in: nothing is served unless imported.
 */
@Module({})
export class AuditExplorerModule {
  static forRoot(options: AuditExplorerOptions): DynamicModule {
    // Checked here, while the module list is being built, so a missing guard stops start-up
    // before anything listens.
    const resolved = resolveExplorerOptions(options);
    const assets = loadExplorerAssets();
    return {
      module: AuditExplorerModule,
      controllers: [explorerController(resolved)],
      providers: [
        { provide: EXPLORER_OPTIONS, useValue: resolved },
        { provide: EXPLORER_ASSETS, useValue: assets },
      ],
    };
  }
}
