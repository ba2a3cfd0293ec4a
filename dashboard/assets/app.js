// Varde dashboard: small enhancements on top of pages that work without
// JavaScript. Loaded from the page's own origin (no inline script).
(function () {
  'use strict';

  // The language switch submits when a language is picked.
  document.querySelectorAll('form.js-autosubmit').forEach(function (form) {
    form.querySelectorAll('.js-hide').forEach(function (el) { el.hidden = true; });
    form.querySelectorAll('select').forEach(function (sel) {
      sel.addEventListener('change', function () { form.requestSubmit ? form.requestSubmit() : form.submit(); });
    });
  });

  // Buttons with data-confirm ask first.
  document.querySelectorAll('[data-confirm]').forEach(function (btn) {
    btn.addEventListener('click', function (e) {
      if (!window.confirm(btn.getAttribute('data-confirm'))) e.preventDefault();
    });
  });

  // Custom dates: keep "to" on or after "from", and apply when both are set
  // and the user leaves the fields.
  var from = document.getElementById('from');
  var to = document.getElementById('to');
  if (from && to) {
    from.addEventListener('change', function () {
      to.min = from.value;
      if (to.value && to.value < from.value) to.value = from.value;
    });
    to.addEventListener('change', function () { from.max = to.value; });
  }

  // Chart tooltip: the numbers of the bucket under the pointer.
  document.querySelectorAll('[data-chart]').forEach(function (fig) {
    var svg = fig.querySelector('svg');
    var tip = document.createElement('div');
    tip.className = 'chart-tip';
    tip.hidden = true;
    tip.setAttribute('aria-hidden', 'true');
    fig.appendChild(tip);
    var ns = 'http://www.w3.org/2000/svg';
    var guide = document.createElementNS(ns, 'line');
    guide.setAttribute('class', 'guide');
    var plot = svg.querySelector('.cols rect');
    if (!plot) return;
    guide.setAttribute('y1', plot.getAttribute('y'));
    guide.setAttribute('y2', String(Number(plot.getAttribute('y')) + Number(plot.getAttribute('height')) - Number(plot.getAttribute('y'))));
    guide.style.display = 'none';
    svg.insertBefore(guide, svg.querySelector('.line-p'));
    var labels = fig.closest('.card').querySelectorAll('.legend li');
    var vName = labels[0] ? labels[0].textContent : '';
    var pName = labels[1] ? labels[1].textContent : '';
    svg.querySelectorAll('.cols rect').forEach(function (r) {
      var t = r.querySelector('title');
      if (t) { r.setAttribute('data-title', t.textContent); t.remove(); }
      r.addEventListener('mouseenter', function () {
        var x = Number(r.getAttribute('data-x'));
        var box = svg.getBoundingClientRect();
        var scale = box.width / svg.viewBox.baseVal.width;
        tip.innerHTML = '';
        var b = document.createElement('b');
        b.textContent = r.getAttribute('data-label');
        tip.appendChild(b);
        [['tv', vName, r.getAttribute('data-visitors')], ['tp', pName, r.getAttribute('data-pageviews')]].forEach(function (row) {
          var line = document.createElement('div');
          var dot = document.createElement('i');
          dot.className = row[0];
          line.appendChild(dot);
          line.appendChild(document.createTextNode(row[1] + ': ' + row[2]));
          tip.appendChild(line);
        });
        var y = Math.min(Number(r.getAttribute('data-yv')), Number(r.getAttribute('data-yp')));
        tip.style.left = (x * scale) + 'px';
        tip.style.top = (y * scale) + 'px';
        tip.hidden = false;
        guide.setAttribute('x1', x);
        guide.setAttribute('x2', x);
        guide.style.display = '';
      });
      r.addEventListener('mouseleave', function () { tip.hidden = true; guide.style.display = 'none'; });
    });
  });
})();
