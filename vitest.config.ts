import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'tmp/**'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // FFmpeg-heavy suites share two cores; keep file-level parallelism modest.
    maxWorkers: 2,
  },
});
