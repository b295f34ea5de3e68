import { join } from 'node:path';
import { NunjucksLetterTemplate } from '../adapters/templates/nunjucks-letter-template';
import type { Config } from '../config';

export function letterTemplate(config: Config): NunjucksLetterTemplate {
  return new NunjucksLetterTemplate(config.TEMPLATES_DIR ?? join(process.cwd(), 'templates'), { fontsDir: config.FONTS_DIR });
}
