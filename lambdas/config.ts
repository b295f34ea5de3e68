import { z } from 'zod';

/**
 * The environment, parsed and checked once per cold start. Missing values fail fast here
 * rather than as an odd error deep inside a request.
 */
const Env = z.object({
  TABLE_NAME: z.string().min(1),
  ARCHIVE_BUCKET: z.string().min(1),
  RENDER_QUEUE_URL: z.string().min(1).optional(),
  DISTRIBUTE_QUEUE_URL: z.string().min(1).optional(),
  MAIL_FROM: z.string().email().optional(),
  /**
   * The Department for Education's copy of every letter goes here and nowhere else; no letter can
   * name another address. Needed where letters are drafted and approved (the API).
   */
  DFE_EMAIL: z.string().email().optional(),
  DFE_NAME: z.string().trim().min(1).max(200).optional(),
  DFE_ORGANISATION: z.string().trim().min(1).max(200).default('Department for Education'),
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
  AUTH_MODE: z.enum(['jwt', 'apigateway']),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  /** A JSON Web Key Set, inline (local issuer) ... */
  JWT_JWKS: z.string().min(1).optional(),
  /** ... or its URL (Cognito). */
  JWT_JWKS_URL: z.string().url().optional(),
  TEMPLATES_DIR: z.string().min(1).optional(),
  /** Where govuk-frontend's `dist` folder is, when the web pages cannot find the package in node_modules. */
  GOVUK_FRONTEND_DIR: z.string().min(1).optional(),
  /** Where swagger-ui-dist is (the /api/docs page), when it cannot be found in node_modules. */
  SWAGGER_UI_DIR: z.string().min(1).optional(),
  /**
   * How people sign in to the web pages: `local` is the local stack's role picker, `cognito` the
   * Cognito hosted UI. Unset: local when the local stack provides an issuer, Cognito otherwise.
   */
  SIGN_IN_MODE: z.enum(['local', 'cognito']).optional(),
  /** The Cognito hosted UI's base URL, such as https://letters.auth.eu-west-2.amazoncognito.com. */
  COGNITO_HOSTED_UI_URL: z.string().url().optional(),
  /** The app client the pages sign in with: a public client using PKCE, with no secret. */
  COGNITO_CLIENT_ID: z.string().min(1).optional(),
  /** A directory holding exactly the letter's font files (.ttf), when not read from node_modules: Lambda bundles ship them in /var/task/fonts. */
  FONTS_DIR: z.string().min(1).optional(),
  /** Lambda's sandbox needs Chromium in one process; elsewhere a crashed renderer should not take the browser with it. */
  CHROMIUM_SINGLE_PROCESS: z.enum(['true', 'false']).default('false'),
  /** Chromium's folder when @sparticuz/chromium's JavaScript is bundled apart from it: unpacked (the Lambda layer, run as it is) or the package's Brotli files. */
  CHROMIUM_BIN_DIR: z.string().min(1).optional(),
  /** Letters left approved or rendered longer than this are queued again by the sweeper. */
  SWEEP_AFTER_SECONDS: z.coerce.number().int().min(1).default(600),
  /** Local emulators keep path-style buckets and want checksums only when required. */
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).optional(),
  /** The HMAC key that seals search cursors, a secret of each deployment; only functions that search need it. */
  CURSOR_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  PRESIGN_EXPIRES_SECONDS: z.coerce.number().int().min(1).max(300).default(300),
  RENDER_TIMEOUT_MS: z.coerce.number().int().positive().default(20_000),
  /** The queue a queue-triggered function consumes, for delaying a failed record's next attempt. */
  SOURCE_QUEUE_URL: z.string().min(1).optional(),
  /** Receives of a job before it goes to the dead-letter queue; matches the queues' redrive policy. */
  MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).default(5),
  /** Checks of a PDF's hash each client may make per window on the open verify route. */
  VERIFY_RATE_LIMIT: z.coerce.number().int().min(1).default(60),
  VERIFY_RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3_600).default(60),
  /** A recipient claimed longer ago than this belongs to a worker that died mid-send. */
  STALE_CLAIM_SECONDS: z.coerce.number().int().min(1).default(300),
});

export type Config = z.infer<typeof Env>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Configuration is not valid: ${fields}`);
  }
  const config = parsed.data;
  if (config.AUTH_MODE === 'jwt' && (!config.JWT_ISSUER || !config.JWT_AUDIENCE || !(config.JWT_JWKS || config.JWT_JWKS_URL))) {
    throw new Error('Configuration is not valid: AUTH_MODE=jwt needs JWT_ISSUER, JWT_AUDIENCE and JWT_JWKS or JWT_JWKS_URL');
  }
  if (config.SIGN_IN_MODE === 'cognito' && (!config.COGNITO_HOSTED_UI_URL || !config.COGNITO_CLIENT_ID)) {
    throw new Error('Configuration is not valid: SIGN_IN_MODE=cognito needs COGNITO_HOSTED_UI_URL and COGNITO_CLIENT_ID');
  }
  return config;
}

/** Fails fast when a stage needs a setting its function was not given. */
export function required<K extends keyof Config>(config: Config, key: K): NonNullable<Config[K]> {
  const value = config[key];
  if (value === undefined || value === null) throw new Error(`Configuration is not valid: ${String(key)} is required here`);
  return value as NonNullable<Config[K]>;
}
