import { html, type SafeHtml } from '../html.js';

/** A POST form with its CSRF token; every hosted form goes through here (SPEC §7). */
export function form(action: string, csrfToken: string, content: SafeHtml, options: { className?: string } = {}): SafeHtml {
  return html`<form method="post" action="${action}" class="${options.className ?? ''}">
<input type="hidden" name="csrf" value="${csrfToken}">
${content}
</form>`;
}

/** An error message announced to screen readers. */
export function errorMessage(message: string | undefined): SafeHtml {
  return message ? html`<p class="error" role="alert">${message}</p>` : html``;
}
