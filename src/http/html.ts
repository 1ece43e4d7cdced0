// The few HTML pages the browser sees: small, self-contained, no script. The stylesheet is inline and
// allowed by its hash, so the Content-Security-Policy needs neither 'unsafe-inline' nor a second request.
import { createHash } from 'node:crypto'

const STYLE = 'body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f0f2f5;color:#1c1e21;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}' +
  'main{background:#fff;max-width:32rem;margin:1rem;padding:2rem;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}' +
  'h1{font-size:1.35rem;margin:0 0 .75rem}p{line-height:1.5;margin:.5rem 0}.code{color:#606770;font-size:.85rem}' +
  '.notice{background:#fff3cd;color:#5c4400;border-radius:4px;padding:.4rem .6rem;font-size:.85rem}'

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

/** `notice`: a line shown above every page, e.g. that this is a sandbox with a simulated Meta */
export function htmlPage (title: string, paragraphs: string[], code?: string, notice?: string | null): string {
  return '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>` +
    `<body><main>${notice ? `<p class="notice" role="note">${escapeHtml(notice)}</p>` : ''}<h1>${escapeHtml(title)}</h1>${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}` +
    (code ? `<p class="code">Reference: ${escapeHtml(code)}</p>` : '') +
    '</main></body></html>'
}
