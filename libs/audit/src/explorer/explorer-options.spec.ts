import type { CanActivate } from '@nestjs/common';
import { resolveExplorerOptions } from './explorer-options';

class AllowGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

describe('explorer options', () => {
  it('needs a guard unless the explorer is made public', () => {
    expect(() => resolveExplorerOptions({}, 'development')).toThrow(
      'nestjs-audit-trail: option explorer.guard is required: the explorer at /audit shows every audited change ' +
        'and outbound call, so give it a guard (or public: true to serve it unguarded outside production) (got undefined)',
    );
    expect(resolveExplorerOptions({ guard: AllowGuard }, 'production')).toEqual({
      path: '/audit',
      guard: AllowGuard,
      public: false,
    });
    expect(resolveExplorerOptions({ public: true, path: '/ops/trail' }, undefined)).toEqual({
      path: '/ops/trail',
      guard: undefined,
      public: true,
    });
  });

  it('refuses a public explorer under NODE_ENV=production, even with a guard', () => {
    const refusal =
      'nestjs-audit-trail: option explorer.public is refused when NODE_ENV=production: ' +
      'a production explorer must be behind a guard (got true)';
    expect(() => resolveExplorerOptions({ public: true }, 'production')).toThrow(refusal);
    expect(() => resolveExplorerOptions({ public: true, guard: new AllowGuard() }, 'production')).toThrow(refusal);
  });

  it('names the bad option', () => {
    expect(() => resolveExplorerOptions({ guard: AllowGuard, path: 'audit' })).toThrow(/option explorer\.path/);
    expect(() => resolveExplorerOptions({ guard: AllowGuard, path: '/audit/' })).toThrow(/option explorer\.path/);
    expect(() => resolveExplorerOptions({ guard: {} as CanActivate })).toThrow(
      /option explorer\.guard must be a Nest guard/,
    );
    expect(() => resolveExplorerOptions({ public: 'yes' as unknown as boolean })).toThrow(/option explorer\.public/);
    expect(() => resolveExplorerOptions(null)).toThrow(/option explorer must be an object/);
  });
});
