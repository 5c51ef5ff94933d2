// @nestjs/* 12 ships ESM only and Jest's CommonJS runtime cannot require() ESM, so those packages
// go through @swc/jest like our own TypeScript; everything else in node_modules is left alone.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs)/)'],
  moduleNameMapper: { '^nestjs-audit-trail$': '<rootDir>/libs/audit/src' },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  testTimeout: 60000,
};
