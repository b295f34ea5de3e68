import { fileURLToPath } from 'node:url';

/** The repository root: bundling, the lock file and the copied assets are all found from here. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, '');
