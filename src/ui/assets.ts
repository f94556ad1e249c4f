/**
 * The hosted pages' stylesheet: readable at 360 px, visible focus, system fonts (no external assets).
 * The accent colour comes from the per-application theme stylesheet as `--accent`.
 */
export const HOSTED_CSS = `
:root { --accent: #2f5bd3; --text: #1b1f24; --muted: #4a5461; --border: #c7ced8; --error: #a4161a; color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--text); background: #f3f5f8; display: flex; flex-direction: column; align-items: center; padding: 24px 12px; }
.card { width: 100%; max-width: 420px; background: #fff; border: 1px solid var(--border); border-radius: 12px; padding: 24px; }
.brand { display: flex; align-items: center; gap: 12px; margin-bottom: 8px; }
.logo { border-radius: 8px; object-fit: contain; }
h1 { font-size: 1.4rem; margin: 8px 0 16px; }
p { margin: 0 0 12px; }
.muted { color: var(--muted); }
label { display: block; font-weight: 600; margin: 12px 0 4px; }
input[type=email], input[type=password], input[type=text] { width: 100%; padding: 10px 12px; font: inherit; border: 1px solid var(--muted); border-radius: 8px; }
button, .button { display: inline-block; width: 100%; margin-top: 16px; padding: 10px 14px; font: inherit; font-weight: 600; border-radius: 8px; border: 2px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; text-align: center; text-decoration: none; }
button.secondary, .button.secondary { background: #fff; color: var(--accent); }
:focus-visible { outline: 3px solid #111; outline-offset: 2px; }
.error { color: var(--error); border: 1px solid var(--error); border-radius: 8px; padding: 8px 12px; }
ul.scopes { padding-left: 20px; }
.actions { display: flex; gap: 12px; flex-wrap: wrap; }
.actions form { flex: 1 1 140px; }
.footer { color: var(--muted); font-size: 0.85rem; margin-top: 16px; text-align: center; }
.hint { font-size: 0.9rem; margin: 4px 0 0; }
.divider { text-align: center; color: var(--muted); margin: 16px 0 0; }
[hidden] { display: none !important; }
h2 { font-size: 1.15rem; margin: 24px 0 8px; }
.notice { border: 1px solid var(--accent); border-radius: 8px; padding: 8px 12px; }
.list { list-style: none; padding: 0; margin: 0; }
.list > li { border-top: 1px solid var(--border); padding: 12px 0; }
.qr svg { display: block; width: 220px; max-width: 100%; height: auto; margin: 8px auto; }
.secret, .codes { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.codes { columns: 2; padding-left: 20px; }

/* Latchkey's own pages (/ and /docs, src/ui/site-layout.ts): full width, a table of contents beside the text on wide screens. */
body.site { display: block; padding: 0; background: #fff; }
.site a { color: #2449b0; }
.site-header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px 24px; padding: 12px 16px; background: #f3f5f8; border-bottom: 1px solid var(--border); }
.site-header .product { font-weight: 700; font-size: 1.15rem; color: var(--text); text-decoration: none; }
.site-header ul, .toc ul, .link-list { list-style: none; margin: 0; padding: 0; }
.site-header ul { display: flex; flex-wrap: wrap; gap: 4px 16px; }
.site-header a, .toc a, .link-list a { display: inline-block; min-height: 24px; padding: 2px 0; }
.site-main, .docs-layout { max-width: 1100px; margin: 0 auto; padding: 16px; }
.site-footer { max-width: 1100px; margin: 0 auto; padding: 16px; color: var(--muted); font-size: 0.9rem; border-top: 1px solid var(--border); }
.link-list li { margin: 8px 0; }
.site h2 { font-size: 1.25rem; margin: 24px 0 8px; }
.site h3 { font-size: 1.05rem; margin: 0 0 8px; }
.site h4 { font-size: 0.95rem; margin: 12px 0 4px; }
.site code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; overflow-wrap: anywhere; }
.docs-layout { display: grid; grid-template-columns: minmax(0, 1fr); gap: 8px 32px; }
.docs-main { min-width: 0; overflow-wrap: anywhere; }
.toc { border-bottom: 1px solid var(--border); padding-bottom: 8px; }
.toc h2 { margin-top: 0; }
.toc ul ul { padding-left: 12px; margin-bottom: 8px; font-size: 0.9rem; }
.toc a { overflow-wrap: anywhere; }
@media (min-width: 900px) {
  .docs-layout { grid-template-columns: 280px minmax(0, 1fr); }
  .toc { position: sticky; top: 0; align-self: start; max-height: 100vh; overflow-y: auto; border-bottom: 0; padding: 0 8px 16px 0; }
}
.operation { border-top: 1px solid var(--border); padding: 16px 0 8px; }
.operation h3, .site h2 { scroll-margin-top: 8px; }
.method { display: inline-block; padding: 0 6px; border: 1px solid currentColor; border-radius: 4px; font: 700 0.8rem/1.6 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; vertical-align: 0.1em; }
.method-get { color: #14642d; }
.method-post { color: #1d4ea8; }
.method-delete { color: #a4161a; }
.fields, .variants { margin: 4px 0 8px; padding-left: 14px; border-left: 2px solid var(--border); }
.fields { list-style: none; }
.fields li, .variants li { margin: 4px 0; }
.field-name { font-weight: 600; }
.required { color: var(--error); font-size: 0.85rem; }
.optional, .location, .limits, .type, .variant { color: var(--muted); font-size: 0.9rem; }
.schema { margin: 0 0 4px; }
.schema-type { margin: 0; }
.media { margin: 4px 0; }
.responses dt, .credentials dt { font-weight: 700; margin-top: 8px; }
.responses dd, .credentials dd { margin: 0 0 0 16px; }
.status { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
`;

/** The theme stylesheet of one application: only the validated accent colour varies. */
export function themeCss(accentColor: string): string {
  return `:root { --accent: ${accentColor}; }\n`;
}
