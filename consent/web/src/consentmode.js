// Google Consent Mode v2: only when the page uses gtag or a dataLayer.

const w = window

const on = () => typeof w.gtag == 'function' || Array.isArray(w.dataLayer)

// gtag pushes its arguments object; do the same when only dataLayer exists.
function g() {
  typeof w.gtag == 'function' ? w.gtag.apply(w, arguments) : w.dataLayer.push(arguments)
}

export function gcmDefault() {
  on() &&
    g('consent', 'default', {
      ad_storage: 'denied',
      ad_user_data: 'denied',
      ad_personalization: 'denied',
      analytics_storage: 'denied',
      wait_for_update: 500,
    })
}

export function gcmUpdate(has) {
  const v = (c) => (has(c) ? 'granted' : 'denied')
  const m = v('marketing')
  on() && g('consent', 'update', { ad_storage: m, ad_user_data: m, ad_personalization: m, analytics_storage: v('statistics') })
}
