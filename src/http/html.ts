// The few HTML pages the browser sees: small, self-contained, no script. The stylesheet is inline and
// allowed by its hash, so the Content-Security-Policy needs neither 'unsafe-inline' nor a second request.
import { createHash } from 'node:crypto'

const STYLE = 'body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f0f2f5;color:#1c1e21;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}' +
  'main{background:#fff;max-width:32rem;margin:1rem;padding:2rem;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}' +
  'h1{font-size:1.35rem;margin:0 0 .75rem}p{line-height:1.5;margin:.5rem 0}.code{color:#606770;font-size:.85rem}' +
  '.notice{background:#fff3cd;color:#5c4400;border-radius:4px;padding:.4rem .6rem;font-size:.85rem}' +
  // the flow chooser (flow-chooser-page.ts): the flows side by side, each choice a link styled as a button.
  // Colours keep at least 4.5:1 contrast; the focus ring shows on keyboard focus whatever the background.
  'main.wide{max-width:64rem}a{color:#0b5fcc}a:focus-visible{outline:3px solid #1c1e21;outline-offset:2px}' +
  '.flows{list-style:none;padding:0;margin:1.25rem 0;display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:1rem}' +
  '.flow{border:1px solid #8d949e;border-radius:8px;padding:1rem;display:flex;flex-direction:column}.flow.recommended{border:2px solid #0b5fcc}' +
  '.flow h2{font-size:1.1rem;margin:0 0 .5rem}.tag{background:#e7f0fd;color:#0a3f8a;border-radius:4px;padding:.2rem .5rem;font-size:.85rem;margin:0 0 .5rem}' +
  'dl{margin:0 0 1rem}dt{font-weight:600;font-size:.9rem;margin:.6rem 0 .1rem}dd{margin:0;line-height:1.45}' +
  'a.choose{margin-top:auto;display:block;text-align:center;background:#0b5fcc;color:#fff;font-weight:600;text-decoration:none;border-radius:6px;padding:.65rem .8rem}' +
  'a.choose:hover{background:#0a4fa8;text-decoration:underline}'

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "img-src 'self' data:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'"
].join('; ')

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!)

/**
 * The frame of every page: `title` is the document's title and its one `h1`; `body` is trusted markup that
 * follows it (callers escape what they put in). `notice`: a line shown above every page, e.g. that this is a
 * sandbox with a simulated Meta. `wide`: for a page that sets content side by side.
 */
export function htmlDocument (title: string, body: string, options: { notice?: string | null | undefined; wide?: boolean } = {}): string {
  return '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>` +
    `<body><main${options.wide ? ' class="wide"' : ''}>${options.notice ? `<p class="notice" role="note">${escapeHtml(options.notice)}</p>` : ''}` +
    `<h1>${escapeHtml(title)}</h1>${body}</main></body></html>`
}

/** a page of plain paragraphs, with the problem code as a reference the admin can quote */
export function htmlPage (title: string, paragraphs: string[], code?: string, notice?: string | null): string {
  return htmlDocument(title, paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('') +
    (code ? `<p class="code">Reference: ${escapeHtml(code)}</p>` : ''), { notice })
}
