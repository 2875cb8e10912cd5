/*
 * conditions.js — visible_if and required_if applied as the user types (SPEC 4.3).
 * The server writes each condition into the page (data-visible-if, data-required-if:
 * [{"f": field, "t": kind, "v": [accepted values]}], all must hold) and still decides:
 * this script only spares the user fields that do not apply. Without it, every field is
 * shown with its "À remplir seulement si…" hint.
 * smallappsMatches is the C rule validate_matches() for what a form submits: one table of
 * cases (tests/conditions/cases.json) runs through both.
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

  root.smallappsMatches = matches;
  if (typeof document === 'undefined') return;
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
