import { defineConfig } from 'vite';

// A static build with relative asset paths, so dist/ can be served from any path or opened offline.
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1024 },
  server: { host: '127.0.0.1' },
});
