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

  root.smallappsMatches = matches;
  if (typeof document === 'undefined') return;
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
