import { defineConfig } from 'vitest/config';

// The dev server proxies the archive (systole serve --http-port 8080) so
// `npm run dev` works against a running server.
const archive = process.env.SYSTOLE_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    target: 'es2022',
    sourcemap: true,
    outDir: 'dist',
    emptyOutDir: true,
    // src/boot/boot.ts is a second entry with a stable name (index.html loads /boot.js ahead of the app).
    rollupOptions: {
      input: { index: 'index.html', boot: 'src/boot/boot.ts' },
      output: { entryFileNames: (chunk) => (chunk.name === 'boot' ? 'boot.js' : 'assets/[name]-[hash].js') },
    },
  },
  worker: { format: 'es' },
  server: { proxy: { '/dicomweb': archive, '/api': archive, '/healthz': archive } },
  test: { include: ['src/**/*.test.ts'] },
});
