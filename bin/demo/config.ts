/** The environment `cdn demo` reads: only PATH, to find BIRD (bird, birdc). */
export function demoPathEnv(): string | undefined {
  return process.env.PATH;
}
