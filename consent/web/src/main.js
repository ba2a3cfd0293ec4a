// varde.js: the consent banner and the tracker behind it, in one file.
// Nothing is granted, stored or sent before the visitor decides, except the
// banner config request and, under GPC, the record of the refusal.
import { S, has, readToken, claims, saveToken, dropToken, kill } from './state.js'
import { TEXTS, pickLang } from './i18n.js'
import { gcmDefault, gcmUpdate } from './consentmode.js'
import { release } from './blocking.js'
import { send, pageview, clean, startTracker } from './tracker.js'
import { mount, showFirst, hideFirst, fab, open, close, render } from './ui.js'

const script = document.currentScript || document.querySelector('script[data-site]')

const post = (body) =>
  fetch(S.api + '/api/consent', { method: 'POST', body: JSON.stringify(body) }).then((r) => (r.ok ? r.json() : Promise.reject(r.status)))

// decide records a choice and applies what the server granted. A change
// (or a renewal after a new revision) carries the earlier consent id and
// token, so the server appends a version; if it refuses those, a new
// consent is recorded.
async function decide(action, pick) {
  const c = S.cfg
  const categories = {}
  c.categories.forEach((x) => x.required || (categories[x.name] = pick(x)))
  close()
  hideFirst()
  // A refusal holds at once, before the server confirms it; a grant waits
  // for the token that proves it.
  const before = S.cats
  S.cats = before.filter((x) => x == 'necessary' || categories[x])
  const body = { site: S.site, categories, revision: c.revision, lang: S.lang, url: location.href, gpc: S.gpc, action }
  const prev = S.token ? [S.cid, S.token] : S.old
  let r
  if (prev)
    try {
      r = await post(Object.assign({ consent_id: prev[0], token: prev[1] }, body))
    } catch (e) {}
  if (!r)
    try {
      r = await post(body)
    } catch (e) {
      // Nothing is granted without proof; the banner asks again next page.
      return console.warn('varde: consent not recorded', e)
    }
  S.old = null
  S.token = r.token
  S.cid = r.consent_id
  saveToken(r.token)
  apply(r.categories, action, before)
}

// apply puts a set of granted categories in force: Consent Mode, blocked
// scripts, cookies of withdrawn categories, the tracker, and the event.
function apply(list, action, before = S.cats) {
  S.cats = ['necessary'].concat(list.filter((x) => x != 'necessary'))
  gcmUpdate(has)
  release(has)
  const gone = before.filter((x) => !has(x))
  S.cfg.categories.forEach((x) => gone.includes(x.name) && (x.services || []).forEach((s) => (s.cookies || []).forEach((k) => kill(k.name))))
  has('statistics') && !before.includes('statistics') && pageview()
  document.dispatchEvent(new CustomEvent('varde:consent', { detail: { categories: S.cats.slice(), consent_id: S.cid || null, action } }))
  gone.length && S.cfg.reload_on_withdraw && location.reload()
}

// withdraw erases the consent on the server, forgets the token and falls
// back to necessary only. The tracker stops before the request leaves.
async function withdraw() {
  const id = S.cid
  const token = S.token
  S.token = ''
  try {
    await fetch(S.api + '/api/consent/' + id, { method: 'DELETE', headers: { Authorization: 'Bearer ' + token } })
  } catch (e) {}
  S.cid = ''
  dropToken()
  apply([], 'withdraw')
  render(S.t.withdrawn)
}

function act(a) {
  a == 'accept-all'
    ? decide(a, () => true)
    : a == 'reject-all'
      ? decide(a, () => false)
      : a == 'save'
        ? decide('custom', (x) => document.querySelector(`#varde-banner input[data-varde-category="${x.name}"]`).checked)
        : a == 'settings'
          ? open()
          : a == 'close'
            ? close()
            : a == 'withdraw' && withdraw()
}

// start runs once the banner config is in: a stored decision for this
// revision and lifetime is applied; otherwise GPC records a refusal, or
// the first layer asks.
function start(c) {
  S.cfg = c
  S.lang = c.lang
  S.t = Object.assign({}, TEXTS.en, TEXTS[c.lang], c.texts)
  const tok = readToken()
  const p = tok && claims(tok)
  const now = Date.now() / 1000
  const live = p && p.site == S.site && p.exp > now
  const ok = live && p.rev == c.revision && p.iat + (c.lifetime_days || 182) * 86400 > now
  startTracker()
  mount(act, !ok && !S.gpc)
  if (ok) {
    S.token = tok
    S.cid = p.cid
    apply(p.cat || [], 'stored')
  } else {
    if (live) S.old = [p.cid, tok]
    if (!S.gpc) return showFirst()
    decide('reject-all', () => false)
  }
  fab()
}

if (script && !window.varde) {
  const d = script.dataset
  const lang = pickLang(script)
  S.site = (d.site || '').toLowerCase()
  S.api = (d.api || new URL(script.src).origin).replace(/\/+$/, '')
  window.varde = {
    open,
    consent: () => S.cats.slice(),
    track: (name, props) => send(String(name).slice(0, 120), clean(props)),
  }
  gcmDefault()
  document.addEventListener('click', (e) => {
    const o = e.target.closest && e.target.closest('[data-varde-open]')
    o && (e.preventDefault(), open())
  })
  // Revalidated on every page (a 304 when unchanged): a config cached past a
  // new revision would have every choice refused as stale until it expired.
  fetch(S.api + '/api/banner/' + S.site + (lang ? '?lang=' + lang : ''))
    .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
    .then((c) => (document.readyState == 'loading' ? addEventListener('DOMContentLoaded', () => start(c)) : start(c)))
    .catch((e) => console.warn('varde:', e))
}
