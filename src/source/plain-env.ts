// Runs the yaml parser with process.env swapped for a tiny plain object, because yaml 2 reads process.env once per token.

/** The only variables yaml 2 reads while parsing (debug switches). */
const YAML_ENV_KEYS = ['LOG_TOKENS', 'LOG_STREAM'] as const;

/**
 * withPlainEnv calls fn while process.env is a plain object holding just the variables the yaml parser reads.
 * The real process.env crosses into C++ on every access, and the parser checks process.env.LOG_TOKENS for each
 * token, which costs about a fifth of parse time. fn must be synchronous and must only parse YAML: nothing else can
 * run, or read the environment, before the real object is put back.
 */
export function withPlainEnv<T>(fn: () => T): T {
  const real = process.env;
  const plain: NodeJS.ProcessEnv = {};
  for (const key of YAML_ENV_KEYS) if (real[key] !== undefined) plain[key] = real[key];
  process.env = plain;
  try {
    return fn();
  } finally {
    process.env = real;
  }
}
