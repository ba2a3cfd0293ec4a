// The tracker: pageviews and events, only while statistics is granted.
import { S, has } from './state.js'

let ref = document.referrer // sent with the first pageview only
let last // path of the last pageview

const DOWNLOAD = /\.(pdf|docx?|xlsx?|pptx?|odt|ods|odp|rtf|csv|txt|zip|rar|7z|gz|tgz|dmg|exe|msi|apk|mp3|mp4|mov|avi|wav|epub)$/i

// send posts one event with the consent token. Without statistics granted
// and a token in force nothing leaves the page, which also stops the
// tracker at once on withdrawal.
export function send(name, props) {
  if (!has('statistics') || !S.token) return
  const body = JSON.stringify({
    site: S.site,
    name,
    url: location.href,
    referrer: name == 'pageview' ? ref : '',
    width: innerWidth,
    props,
    token: S.token,
  })
  if (name == 'pageview') ref = ''
  const url = S.api + '/api/event'
  // A string body is sent as text/plain, so no CORS preflight is needed.
  ;(navigator.sendBeacon && navigator.sendBeacon(url, body)) ||
    fetch(url, { method: 'POST', body, keepalive: true, headers: { 'Content-Type': 'text/plain' } }).catch(() => {})
}

const path = () => location.pathname + (S.cfg.hash_routing ? location.hash : '')

export function pageview() {
  last = path()
  send('pageview')
}

const nav = () => path() != last && pageview()

// clean keeps up to 30 flat props with short keys and values.
export function clean(p) {
  let o, n = 0
  for (const k in p) {
    const v = p[k], t = typeof v
    if (n < 30 && (t == 'string' || t == 'boolean' || (t == 'number' && isFinite(v))))
      (o = o || {})[k.slice(0, 64)] = t == 'string' ? v.slice(0, 500) : v, n++
  }
  return o
}

function click(e) {
  const a = e.target.closest && e.target.closest('a[href]')
  if (!a || !/^https?:$/.test(a.protocol)) return
  if (S.cfg.track_downloads && DOWNLOAD.test(a.pathname)) send('File Download', { url: a.href })
  else if (S.cfg.track_outbound && a.host != location.host) send('Outbound Link: Click', { url: a.href })
}

// startTracker watches SPA navigation and link clicks. It runs whatever the
// consent; send decides whether anything leaves the page.
export function startTracker() {
  last = path()
  ;['pushState', 'replaceState'].forEach((k) => {
    const f = history[k]
    history[k] = function () {
      const r = f.apply(this, arguments)
      nav()
      return r
    }
  })
  addEventListener('popstate', nav)
  S.cfg.hash_routing && addEventListener('hashchange', nav)
  document.addEventListener('click', click)
  document.addEventListener('auxclick', click)
}
