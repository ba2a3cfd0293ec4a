// The banner's DOM: first layer, settings dialog and floating button, all
// inside #varde-banner. Texts from the config are escaped, never HTML.
import { S, has } from './state.js'

let root, first, modal, opener

const esc = (s) => String(s == null ? '' : s).replace(/[&<>"]/g, (c) => '&#' + c.charCodeAt(0) + ';')
const T = (k) => esc(S.t[k])
const btn = (a, k) => `<button type="button" data-varde-action="${a}">${T(k)}</button>`
const policy = () => (S.cfg.policy_url ? ` <a href="${esc(S.cfg.policy_url)}">${T('policy_link')}</a>` : '')
const each = (l, f) => (l || []).map(f).join('')

const ICON =
  '<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M12 2a10 10 0 1 0 10 10 4 4 0 0 1-5-5 4 4 0 0 1-5-5zM8 9.5a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm6 4a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm-5 3a1 1 0 1 1 0 2 1 1 0 0 1 0-2z"/></svg>'

// mount adds the style and the root, at the start of the body when the
// first layer will show (early in the tab order), else at the end so the
// floating button is not the page's first tab stop.
export function mount(act, early) {
  const st = document.createElement('style')
  st.textContent = __VARDE_CSS__
  document.head.appendChild(st)
  root = document.createElement('div')
  root.id = 'varde-banner'
  root.lang = S.lang
  document.body[early ? 'prepend' : 'append'](root)
  root.addEventListener('click', (e) => {
    const b = e.target.closest('[data-varde-action]')
    b && act(b.dataset.vardeAction)
  })
  document.addEventListener('keydown', keydown)
}

// The first layer is a non-modal dialog: it traps nothing, Esc does not
// dismiss it, and only one of its three buttons makes it go away.
export function showFirst() {
  root.insertAdjacentHTML(
    'afterbegin',
    `<div class="first" role="dialog" aria-labelledby="varde-title" aria-describedby="varde-body" tabindex="-1"><h2 id="varde-title">${T('title')}</h2><p id="varde-body">${T('body')}${policy()}</p><div class="btns">${btn('accept-all', 'accept_all')}${btn('reject-all', 'reject_all')}${btn('settings', 'settings')}</div></div>`
  )
  first = root.firstElementChild
  fab()
  const a = document.activeElement
  ;(!a || a == document.body) && first.focus({ preventScroll: true })
}

export function hideFirst() {
  if (!first) return
  const f = first.contains(document.activeElement)
  first.remove()
  first = null
  fab(f)
}

// fab shows the floating button when the site wants it and no first layer
// is up; focus moves to it when focus was in the layer that just closed.
export function fab(focus) {
  let b = root.querySelector('.fab')
  if (first || !S.cfg.floating_button) return b && b.remove()
  if (!b) {
    root.insertAdjacentHTML('beforeend', `<button type="button" class="fab" data-varde-open aria-label="${T('reopen')}">${ICON}</button>`)
    b = root.lastElementChild
  }
  focus && b.focus()
}

export function open() {
  if (!root || modal) return
  opener = document.activeElement
  render()
}

export function close() {
  if (!modal) return
  modal.remove()
  modal = null
  const o = opener
  opener = null
  if (o && o.isConnected && o != document.body) o.focus()
  else fab(1)
}

// render draws the settings dialog from the current choices, with an
// optional status message, and moves focus into it.
export function render(msg) {
  modal && modal.remove()
  const cat = (c, i) =>
    `<div class="cat"><label><span>${esc(c.label)}${c.required ? ` <small>${T('always_on')}</small>` : ''}</span><input type="checkbox" role="switch" data-varde-category="${esc(c.name)}" aria-describedby="varde-d${i}"${
      c.required ? ' checked disabled' : has(c.name) ? ' checked' : ''
    }></label><p id="varde-d${i}">${esc(c.description)}</p>${
      c.services && c.services.length
        ? `<details><summary>${T('services')} (${c.services.length})</summary><ul>${each(
            c.services,
            (s) =>
              `<li><b>${esc(s.name)}</b>${s.description ? ': ' + esc(s.description) : ''}${
                s.cookies && s.cookies.length
                  ? `<br>${T('cookies')}:<ul>${each(
                      s.cookies,
                      (k) => `<li><code>${esc(k.name)}</code>${each([k.domain, k.duration, k.purpose].filter(Boolean), (v) => ' · ' + esc(v))}</li>`
                    )}</ul>`
                  : ''
              }</li>`
          )}</ul></details>`
        : ''
    }</div>`
  root.insertAdjacentHTML(
    'beforeend',
    `<div class="modal"><div class="panel" role="dialog" aria-modal="true" aria-labelledby="varde-stitle"><div class="head"><h2 id="varde-stitle">${T('settings_title')}</h2><button type="button" class="x" data-varde-action="close" aria-label="${T('close')}">×</button></div><p>${T('settings_body')}${policy()}</p>${
      S.gpc ? `<p class="note">${T('gpc_notice')}</p>` : ''
    }<h3>${T('your_choices')}</h3>${each(S.cfg.categories, cat)}${
      S.cid ? `<p>${T('consent_id')}: <code>${esc(S.cid)}</code></p>` : ''
    }<p role="status">${esc(msg)}</p><div class="btns">${btn('save', 'save')}${S.cid ? btn('withdraw', 'withdraw') : ''}</div></div></div>`
  )
  modal = root.lastElementChild
  modal.querySelector('button').focus()
}

// keydown keeps focus inside the settings dialog and closes it on Esc.
function keydown(e) {
  if (!modal) return
  if (e.key == 'Escape') {
    e.preventDefault()
    close()
  } else if (e.key == 'Tab') {
    const f = modal.querySelectorAll('a[href],button,input:not([disabled]),summary')
    const a = document.activeElement
    const end = e.shiftKey ? f[0] : f[f.length - 1]
    if (a == end || !modal.contains(a)) {
      e.preventDefault()
      ;(e.shiftKey ? f[f.length - 1] : f[0]).focus()
    }
  }
}
