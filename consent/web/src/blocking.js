// Blocked scripts and iframes, released once their category is granted.

// release activates <script type="text/plain" data-varde-category> (inline,
// src or data-src) and <iframe data-varde-category data-src> whose category
// is granted. A released script is replaced, so it never runs twice.
export function release(has) {
  document.querySelectorAll('script[type="text/plain"][data-varde-category]').forEach((old) => {
    if (!has(old.dataset.vardeCategory)) return
    const s = document.createElement('script')
    for (const a of old.attributes) s.setAttribute(a.name, a.value)
    s.type = 'text/javascript'
    if (old.dataset.src) s.src = old.dataset.src
    s.text = old.text
    s.async = false // keep the page's order among released scripts
    old.replaceWith(s)
  })
  document.querySelectorAll('iframe[data-varde-category][data-src]').forEach((f) => {
    has(f.dataset.vardeCategory) && !f.getAttribute('src') && (f.src = f.dataset.src)
  })
}
