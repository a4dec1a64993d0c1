import { defineConfig } from 'vitest/config';

// The backend (OpenResty on :8080) serves /api/v1 and /ws/{uid}. The dev and preview servers
// proxy both, so the page talks to its own origin exactly as it will when the gateways serve
// web/dist at `/` (CSP connect-src 'self').
const backend = process.env.CHAT_BACKEND_URL ?? 'http://127.0.0.1:8080';
const proxy = {
  '/api': { target: backend },
  '/ws': { target: backend, ws: true },
};

// The policy the gateways will serve the page under; the preview server applies it too, so
// that the e2e tests (which fail on any console error) catch a violation before deployment.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export default defineConfig({
  // JSX without a plugin: esbuild compiles it against Preact's automatic runtime.
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    target: 'es2022',
    outDir: 'dist',
    // One small bundle; no inline <script> or <style> (the page is served under a strict CSP).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: true, proxy },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, proxy, headers: { 'Content-Security-Policy': CONTENT_SECURITY_POLICY } },
  test: { include: ['test/**/*.test.ts'], environment: 'node' },
});
