// Shared state of one page view, and the consent cookie.

// S is the script's state: site and API from the script tag, the banner
// config once fetched, the granted categories, and the current token.
export const S = {
  site: '',
  api: '',
  lang: '',
  cfg: null, // banner config from GET /api/banner/{site}
  t: {}, // texts: built-in, overlaid with the config's
  cats: ['necessary'], // granted categories
  token: '', // consent token (JWT) while a decision is in force
  cid: '', // consent id of that decision
  old: null, // [cid, token] of an outdated decision, sent when re-asked
  gpc: navigator.globalPrivacyControl === true,
}

export const has = (c) => S.cats.includes(c)

const NAME = 'varde_consent'

export function readToken() {
  const m = document.cookie.match(/(?:^|;\s*)varde_consent=([^;]+)/)
  return m ? m[1] : ''
}

// claims decodes the JWT payload; the server verifies the signature, the
// script only needs cid, site, cat, rev, iat and exp to decide whether to ask.
export function claims(token) {
  try {
    return JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')))
  } catch (e) {}
}

// saveToken keeps the token until it expires, on the site's registrable
// domain when the page is on a subdomain of the site, else host-only.
export function saveToken(token) {
  const h = location.hostname
  const exp = (claims(token) || {}).exp
  document.cookie =
    NAME + '=' + token + ';Path=/;SameSite=Lax;Max-Age=' + Math.max(0, Math.floor(exp - Date.now() / 1000) || 0) +
    (location.protocol == 'https:' ? ';Secure' : '') +
    (h.endsWith('.' + S.site) ? ';Domain=' + S.site : '')
}

export const dropToken = () => kill(NAME)

// kill deletes a cookie on the current host and on every parent domain,
// path /. A name ending in * deletes every cookie with that prefix.
export function kill(name) {
  if (name.endsWith('*')) {
    name = name.slice(0, -1)
    document.cookie.split(/;\s*/).forEach((c) => {
      c = c.split('=')[0]
      c.startsWith(name) && kill(c)
    })
    return
  }
  const p = location.hostname.split('.')
  for (let i = 0; i <= p.length; i++)
    document.cookie = name + '=;Max-Age=0;Path=/' + (i < p.length ? ';Domain=' + p.slice(i).join('.') : '')
}
