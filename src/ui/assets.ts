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
`;

/** The theme stylesheet of one application: only the validated accent colour varies. */
export function themeCss(accentColor: string): string {
  return `:root { --accent: ${accentColor}; }\n`;
}
