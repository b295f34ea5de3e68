import type { LetterTemplate } from '../../core/ports';

/**
 * The Content-Security-Policy header of a letter's HTML preview. The letter's own policy travels in
 * its meta tag; the header says the same, in case it is ignored, and adds what a meta tag cannot
 * say: only our own pages may frame the preview.
 */
export const previewPolicy = (template: Pick<LetterTemplate, 'contentSecurityPolicy'>) => `${template.contentSecurityPolicy}; frame-ancestors 'self'`;
