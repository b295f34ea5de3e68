import { z } from 'zod';
import type { Role } from '../core/letter';
import { FORBIDDEN_IN_LINE } from '../core/letter-schema';
import { ROLES } from '../core/roles';
import { FormErrors } from '../handlers/http/pages/form-fields';
import { CsrfRefusedError, type PageExtension } from '../handlers/http/pages/page-kit';
import type { OutboxEntry } from './local-mailbox';
import { CSRF_FIELD, checkSignInCsrf, endSignIn, safeReturnPath, signInCsrfToken, startSession } from '../handlers/http/pages/session';

const SignInForm = z.object({
  role: z.enum(ROLES as [Role, ...Role[]], { error: 'Select your role' }),
  name: z
    .string()
    .trim()
    .min(1, 'Enter your name')
    .max(100, 'Your name must be 100 characters or fewer')
    .refine((s) => !FORBIDDEN_IN_LINE.test(s), 'Your name must not contain control characters'),
});

/**
 * The pages only the local stack has: a role picker at /sign-in, whose tokens come from the
 * local issuer, and the local mail emulator's outbox at /dev/outbox.html.
 */
export function localPages(local: { issue(role: Role, name: string): Promise<string>; outbox(): Promise<OutboxEntry[]> }): PageExtension {
  return {
    paths: ['/dev/outbox.html'],
    navigation: { href: '/dev/outbox.html', text: 'Outbox' },
    banner: { tag: 'Local', text: 'This copy runs on your machine: sign-in is a role picker and emails go to the local outbox.' },

    signIn: {
      show: (c, kit) =>
        kit.render(c, 'sign-in.njk', { title: 'Sign in', csrfToken: signInCsrfToken(c), next: safeReturnPath(c.req.query('next')), values: {} }),

      async submit(c, kit) {
        const values = await kit.readForm(c);
        if (!checkSignInCsrf(c, values[CSRF_FIELD])) throw new CsrfRefusedError();
        const next = safeReturnPath(values.next);
        const parsed = SignInForm.safeParse({ role: values.role ?? '', name: values.name ?? '' });
        if (!parsed.success) {
          const errors = new FormErrors();
          for (const issue of parsed.error.issues) {
            const id = String(issue.path[0]);
            errors.add(id, issue.message, id === 'role' ? '#role' : '#name');
          }
          return kit.render(c, 'sign-in.njk', { title: 'Sign in', csrfToken: signInCsrfToken(c), next, values, errors: errors.sort(['role', 'name']) }, 422);
        }
        startSession(c, await local.issue(parsed.data.role, parsed.data.name));
        endSignIn(c);
        return c.redirect(next, 303);
      },

      refresh: (_c, actor) => local.issue(actor.role, actor.name),
    },

    routes(pages, kit) {
      pages.get('/dev/outbox.html', async (c) => {
        // Open to anyone, like /dev/outbox; a session, when there is one, only fills in the navigation.
        const actor = await kit.sessionActor(c);
        if (actor) c.set('actor', actor);
        // The mail emulator stamps messages in seconds since the epoch.
        const messages = (await local.outbox()).map((m) => ({ ...m, sentAt: new Date(m.at * 1000).toISOString() })).reverse();
        return kit.render(c, 'outbox.njk', { title: 'Outbox', messages });
      });
    },
  };
}
