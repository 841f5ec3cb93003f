/**
 * Jest configuration for mutation testing only (`npm run test:mutation`, see stryker.config.mjs).
 * It is the `unit` project of jest.config.js on its own, flattened (no `projects`): Stryker's
 * per-test coverage needs a top-level config, and the integration project (databases) is far too
 * slow to run once per mutant.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import jestConfig from '../../jest.config.js';

const unit = jestConfig.projects.find((p) => p.displayName === 'unit');
if (!unit) throw new Error("jest.config.js has no 'unit' project");

export default { ...unit, rootDir: resolve(dirname(fileURLToPath(import.meta.url)), '../..') };
