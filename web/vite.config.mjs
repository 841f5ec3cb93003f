// The console and the parent's page: two entries of one Vite build, written to dist/web and
// served by the service itself (src/modules/web). Preact through Vite's own JSX transform.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: resolve(root, '..', 'dist', 'web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2020',
    reportCompressedSize: true,
    rollupOptions: {
      input: { console: resolve(root, 'console.html'), parent: resolve(root, 'parent.html') },
    },
  },
});
