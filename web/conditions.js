/*
 * conditions.js — visible_if and required_if applied as the user types (SPEC 4.3).
 * The server writes each condition into the page (data-visible-if, data-required-if:
 * [{"f": field, "t": kind, "v": [accepted values]}], all must hold) and still decides:
 * this script only spares the user fields that do not apply. Without it, every field is
 * shown with its "À remplir seulement si…" hint.
 * smallappsMatches is the C rule validate_matches() for what a form submits: one table of
 * cases (tests/conditions/cases.json) runs through both.
 * It also adds and removes the lines of a repeat (fieldset.lines) in place: without it,
 * "Ajouter une ligne" and "Supprimer la ligne k" are submit buttons the server answers
 * with the form again; with it, the same without a round trip, the names of the inputs
 * ("lignes[2].quantite") renumbered as the server would.
 * And it suggests territories as one types (input[data-geo]), from the engine's own
 * /api/v1/geo/<kind>?q=…, in the ARIA combobox pattern: the box is a combobox, the
 * suggestions a listbox, arrows move, Enter takes one, Escape closes, a polite status
 * says how many there are. Without the script, the server reads the box the same way.
 */
(function (root) {
  'use strict';

  function plainInt(s) {
    return /^[+-]?[0-9]+$/.test(s) ? Number(s) : null;
  }

  // "1 234,56 €", "12.5": the number, or null. Money in cents, as the server stores it.
  function frNumber(s, money) {
    var t = s.replace(/[\s\u00a0\u202f]/g, '');
    if (money) t = t.replace(/€$/, '');
    t = t.replace(',', '.');
    if (!/^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$/.test(t)) return null;
    var n = Number(t);
    return money ? Math.round(n * 100) : n;
  }

  function isTrue(values) {
    return values.some(function (v) {
      return v !== '' && v !== '0' && v !== 'false' && v !== 'off';
    });
  }

  // Whether the submitted strings of a field of kind `kind` match `want`.
  function matches(kind, values, want) {
    var raw = values.length ? values[0].trim() : '';
    switch (kind) {
      case 'boolean':
        return isTrue(values) ? want === 'true' || want === '1' : want === 'false' || want === '0';
      case 'multichoice':
        return values.indexOf(want) >= 0 || (values.length === 0 && want === '');
      case 'integer': {
        var i = plainInt(raw.replace(/[\s\u00a0\u202f]/g, ''));
        return i === null ? want === '' : plainInt(want) === i;
      }
      case 'decimal':
      case 'money': {
        var n = frNumber(raw, kind === 'money');
        return n === null ? want === '' : frNumber(want, kind === 'money') === n;
      }
      default:
        return raw === want;
    }
  }

  function holds(form, conds) {
    return conds.every(function (c) {
      var values = [];
      var els = form.elements.namedItem(c.f);
      var list = !els ? [] : els.length !== undefined && !els.tagName ? els : [els];
      for (var k = 0; k < list.length; k++) {
        var e = list[k];
        if ((e.type === 'checkbox' || e.type === 'radio') && !e.checked) continue;
        if (e.tagName === 'SELECT' && e.multiple) {
          for (var o = 0; o < e.options.length; o++)
            if (e.options[o].selected) values.push(e.options[o].value);
        } else {
          values.push(e.value);
        }
      }
      return c.v.some(function (want) { return matches(c.t, values, want); });
    });
  }

  function read(el, name) {
    try {
      return JSON.parse(el.getAttribute(name));
    } catch (e) {
      return null;
    }
  }

  function apply(form) {
    var nodes = form.querySelectorAll('[data-visible-if],[data-required-if]');
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var vis = read(el, 'data-visible-if');
      if (vis) el.hidden = !holds(form, vis); // hidden: out of the tab order and a11y tree
      var req = read(el, 'data-required-if');
      if (req) {
        var on = holds(form, req);
        var ctls = el.querySelectorAll('input,select,textarea');
        for (var k = 0; k < ctls.length; k++) {
          if (on) ctls[k].setAttribute('aria-required', 'true');
          else ctls[k].removeAttribute('aria-required');
        }
        var mark = el.querySelector('.required-if');
        if (mark) mark.hidden = !on;
      }
    }
  }

  // The hints say when a field applies: with the script, the page shows it instead.
  function dropHints(form) {
    var hints = form.querySelectorAll('.hint.cond');
    for (var i = 0; i < hints.length; i++) {
      var h = hints[i];
      h.hidden = true;
      if (!h.id) continue;
      var users = form.querySelectorAll('[aria-describedby]');
      for (var k = 0; k < users.length; k++) {
        var ids = users[k].getAttribute('aria-describedby').split(' ').filter(function (x) {
          return x && x !== h.id;
        });
        if (ids.length) users[k].setAttribute('aria-describedby', ids.join(' '));
        else users[k].removeAttribute('aria-describedby');
      }
    }
  }

  // ---- repeats ----

  function renumber(group) {
    var name = group.getAttribute('data-repeat');
    var en = document.documentElement.lang === 'en';
    var lines = group.querySelectorAll('fieldset.line');
    var pat = new RegExp('^(f-)?' + name + '\\[[0-9]+\\]');
    for (var k = 0; k < lines.length; k++) {
      var n = k + 1, line = lines[k];
      line.id = 'f-' + name + '-' + n;
      line.querySelector('legend').textContent = (en ? 'Line ' : 'Ligne ') + n;
      var els = line.querySelectorAll('[name],[id],[for],[aria-describedby]');
      for (var i = 0; i < els.length; i++) {
        ['name', 'id', 'for'].forEach(function (a) {
          var v = els[i].getAttribute(a);
          if (v) els[i].setAttribute(a, v.replace(pat, function (m, f) {
            return (f || '') + name + '[' + n + ']';
          }));
        });
        var d = els[i].getAttribute('aria-describedby');
        if (d) els[i].setAttribute('aria-describedby', d.split(' ').map(function (x) {
          return x.replace(pat, function (m, f) { return (f || '') + name + '[' + n + ']'; });
        }).join(' '));
      }
      var rm = line.querySelector('button[name=_remove]');
      if (rm) {
        rm.value = name + '[' + n + ']';
        rm.textContent = (en ? 'Remove line ' : 'Supprimer la ligne ') + n;
        rm.hidden = lines.length < 2;
      }
    }
    var add = group.querySelector('button[name=_add]');
    var max = Number(group.getAttribute('data-max') || 0);
    if (add) add.hidden = max > 0 && lines.length >= max;
  }

  function blank(line) {
    var ctls = line.querySelectorAll('input,select,textarea');
    for (var i = 0; i < ctls.length; i++) {
      var c = ctls[i];
      if (c.type === 'checkbox' || c.type === 'radio') c.checked = false;
      else if (c.tagName === 'SELECT') c.selectedIndex = 0;
      else c.value = '';
      c.removeAttribute('aria-invalid');
    }
    var errs = line.querySelectorAll('p.error');
    for (var k = 0; k < errs.length; k++) errs[k].parentNode.removeChild(errs[k]);
    var bad = line.querySelectorAll('.has-error');
    for (var j = 0; j < bad.length; j++) bad[j].classList.remove('has-error');
  }

  function lines(group) {
    group.addEventListener('click', function (ev) {
      var b = ev.target.closest && ev.target.closest('button');
      if (!b || (b.name !== '_add' && b.name !== '_remove')) return;
      ev.preventDefault();
      var all = group.querySelectorAll('fieldset.line');
      if (b.name === '_add') {
        var last = all[all.length - 1];
        var copy = last.cloneNode(true);
        blank(copy);
        last.parentNode.insertBefore(copy, last.nextSibling);
        renumber(group);
        var first = copy.querySelector('input,select,textarea');
        if (first) first.focus();
      } else {
        var line = b.closest('fieldset.line');
        var prev = line.previousElementSibling;
        line.parentNode.removeChild(line);
        renumber(group);
        var to = prev && prev.matches('fieldset.line') ? prev.querySelector('input,select,textarea')
          : group.querySelector('button[name=_add]');
        if (to) to.focus();
      }
    });
    renumber(group);
  }

  // ---- territory suggestions ----

  function combobox(input) {
    var en = document.documentElement.lang === 'en';
    var list = document.createElement('ul');
    list.id = input.id + '-suggestions';
    list.className = 'suggestions';
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', (en ? 'Suggestions for ' : 'Suggestions pour ') +
      (input.labels && input.labels[0] ? input.labels[0].textContent.trim() : input.name));
    list.hidden = true;
    var status = document.createElement('p');
    status.className = 'sr-only';
    status.setAttribute('role', 'status');
    input.insertAdjacentElement('afterend', list);
    list.insertAdjacentElement('afterend', status);
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);
    input.setAttribute('autocomplete', 'off');
    var timer = null, asked = 0, active = -1;

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }
    function mark(k) {
      var opts = list.querySelectorAll('[role=option]');
      for (var i = 0; i < opts.length; i++) opts[i].setAttribute('aria-selected', i === k ? 'true' : 'false');
      active = k;
      if (k >= 0) {
        input.setAttribute('aria-activedescendant', opts[k].id);
        opts[k].scrollIntoView({ block: 'nearest' });
      } else {
        input.removeAttribute('aria-activedescendant');
      }
    }
    function take(k) {
      var opts = list.querySelectorAll('[role=option]');
      if (!opts[k]) return;
      input.value = opts[k].getAttribute('data-value');
      close();
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }
    function show(results) {
      list.textContent = '';
      results.forEach(function (r, i) {
        var li = document.createElement('li');
        li.id = list.id + '-' + i;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        li.setAttribute('data-value', r.label);
        li.textContent = r.label + (r.postal_codes && r.postal_codes.length
          ? ' — ' + r.postal_codes.slice(0, 3).join(', ') : '');
        li.addEventListener('mousedown', function (ev) { ev.preventDefault(); take(i); });
        list.appendChild(li);
      });
      list.hidden = results.length === 0;
      input.setAttribute('aria-expanded', results.length ? 'true' : 'false');
      active = -1;
      status.textContent = results.length === 0 ? (en ? 'No suggestion.' : 'Aucune suggestion.')
        : results.length + (en ? (results.length > 1 ? ' suggestions.' : ' suggestion.')
          : (results.length > 1 ? ' suggestions.' : ' suggestion.'));
    }
    function ask() {
      var q = input.value.trim();
      if (q.length < 2) { close(); status.textContent = ''; return; }
      var mine = ++asked;
      var url = '/api/v1/geo/' + input.getAttribute('data-geo') + '?limit=8&q=' +
        encodeURIComponent(q) + (input.getAttribute('data-geo-query') || '');
      fetch(url, { headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (j) { if (mine === asked && document.activeElement === input) show(j.results || []); })
        .catch(function () { close(); });
    }
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener('keydown', function (ev) {
      var n = list.querySelectorAll('[role=option]').length;
      if (ev.key === 'ArrowDown' && n) {
        ev.preventDefault();
        if (list.hidden) { list.hidden = false; input.setAttribute('aria-expanded', 'true'); }
        mark((active + 1) % n);
      } else if (ev.key === 'ArrowUp' && n && !list.hidden) {
        ev.preventDefault();
        mark(active <= 0 ? n - 1 : active - 1);
      } else if (ev.key === 'Enter' && !list.hidden && active >= 0) {
        ev.preventDefault(); // takes the suggestion, does not send the form
        take(active);
      } else if (ev.key === 'Escape' && !list.hidden) {
        ev.preventDefault();
        close();
      }
    });
    input.addEventListener('blur', close);
  }

  root.smallappsMatches = matches;
  if (typeof document === 'undefined') return;
  var geos = document.querySelectorAll('input[data-geo]');
  for (var t = 0; t < geos.length; t++) combobox(geos[t]);
  var groups = document.querySelectorAll('fieldset.lines[data-repeat]');
  for (var g = 0; g < groups.length; g++) lines(groups[g]);
  var forms = document.querySelectorAll('form[data-conditions]');
  for (var i = 0; i < forms.length; i++) {
    (function (form) {
      dropHints(form);
      apply(form);
      form.addEventListener('input', function () { apply(form); });
      form.addEventListener('change', function () { apply(form); });
    })(forms[i]);
  }
})(typeof window !== 'undefined' ? window : globalThis);
