// Language choice and the built-in texts.

// TEXTS holds the built-in nb and en texts, injected at build time from
// consent/texts/{nb,en}.json so the script and the server share one source.
// Other languages arrive with the banner config.
export const TEXTS = __VARDE_TEXTS__

const LANGS = ['nb', 'nn', 'en', 'sv', 'da', 'de']

// pickLang returns the first supported language of the script's data-lang,
// the page's <html lang> and the browser's languages, or '' to let the
// server use the site's default. no and nb-NO mean bokmål.
export function pickLang(script) {
  for (let l of [script.dataset.lang, document.documentElement.lang].concat(navigator.languages || [])) {
    l = (l || '').toLowerCase().split(/[-_]/)[0]
    if (l == 'no') l = 'nb'
    if (LANGS.includes(l)) return l
  }
  return ''
}
