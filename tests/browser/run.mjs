// Real-browser tests: the example apps served by the real `smallapps serve`, Debian's
// chromium driven by playwright-core. Every page type is checked with axe-core (0
// violations), at 320 CSS px (no sideways scroll, WCAG 1.4.10) and with the Nu HTML
// Checker (0 errors); the main journeys run with a mouse and with the keyboard alone; a
// record is printed to PDF and read back. Writes the axe-core results where the
// accessibility statement shows them (--results FILE).
// Usage: node tests/browser/run.mjs --binary build/smallapps [--results FILE]
// Prints one line per test and ends with "N passed, N failed".
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const binary = path.resolve(arg('--binary', 'build/smallapps'));
const resultsFile = arg('--results', null);
const only = arg('--only', null);
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const axeSource = fs.readFileSync(path.join(here, 'node_modules/axe-core/axe.min.js'), 'utf8');
const vnuJar = path.join(here, 'node_modules/vnu-jar/build/dist/vnu.jar');

const ADMIN_PASSWORD = 'admin-secret-42';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'smallapps-browser-'));
const appsDir = path.join(tmp, 'apps');
const dataDir = path.join(tmp, 'data');
const env = { ...process.env, SMALLAPPS_ADMIN_PASSWORD: ADMIN_PASSWORD,
              SMALLAPPS_STDLIB: path.join(root, 'stdlib-lua') };

// On the throw-away PostgreSQL of tests/pg.sh (SMALLAPPS_TEST_DATABASE), a database of
// our own; otherwise SQLite files under dataDir.
const pgServer = process.env.SMALLAPPS_TEST_DATABASE || null;
const pgName = `sa_browser_${process.pid}`;
const storage = pgServer ? ['--data', dataDir, '--database', `${pgServer} dbname=${pgName}`]
                         : ['--data', dataDir];
function psql(sql) {
  const p = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', pgServer, '-c', sql],
                      { encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`psql: ${sql}: ${p.stderr}`);
}

function cli(...args) {
  const p = spawnSync(binary, [...args, '--apps', appsDir, ...storage],
                      { env, encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`smallapps ${args.join(' ')}: ${p.stderr}${p.stdout}`);
  return p.stdout;
}

async function startServer() {
  fs.cpSync(path.join(root, 'apps'), appsDir, { recursive: true });
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'site.lua'), `return {
  name = "Département de la Loire", logo = "logo.svg", color = "#000091",
  contacts = { accessibility = "accessibilite@loire.fr", dpo = "dpo@loire.fr" },
  legal = { publisher = "Département de la Loire, 2 rue Charles de Gaulle, 42000 Saint-Étienne",
            director = "Le président du Département", host = "DSI du Département de la Loire" },
  accessibility = { state = "partiellement conforme", audit_date = "2026-11-30", rate = 87,
                    not_accessible = { "Les cartes des ponts ne sont pas décrites." } },
}
`);
  fs.writeFileSync(path.join(dataDir, 'logo.svg'),
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">' +
    '<rect width="40" height="40" fill="#000091"/></svg>\n');
  if (pgServer) psql(`CREATE DATABASE "${pgName}"`);
  cli('demo');
  const portFile = path.join(tmp, 'port');
  const log = fs.openSync(path.join(tmp, 'server.log'), 'w');
  const proc = spawn(binary, ['serve', '--apps', appsDir, ...storage,
                              '--listen', '127.0.0.1:0', '--threads', '2',
                              '--port-file', portFile], { env, stdio: ['ignore', log, log] });
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) throw new Error('server exited: ' + serverLog());
    if (fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8').trim()) {
      const base = `http://127.0.0.1:${fs.readFileSync(portFile, 'utf8').trim()}`;
      try {
        if ((await fetch(base + '/healthz')).ok) return { proc, base };
      } catch { /* not listening yet */ }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('server did not start: ' + serverLog());
}

const serverLog = () => fs.readFileSync(path.join(tmp, 'server.log'), 'utf8');

// Dates the example apps accept whatever today is: a working day two weeks ahead.
function workingDayAhead(days) {
  const d = new Date(Date.now() + days * 86400e3);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

async function api(base, token, method, route, body) {
  const res = await fetch(base + '/api/v1' + route, {
    method,
    headers: token ? { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }
      : { 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined });
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

// Thirty orders (a list of a realistic length), one bridge opening request.
async function seed(base) {
  const centre = cli('token', 'create', 'centre1').trim();
  const armateur = cli('token', 'create', 'armateur1').trim();
  const orders = [];
  for (let i = 0; i < 30; i++) {
    orders.push(await api(base, centre, 'POST', '/apps/vaccins/commande/records', {
      centre: `Centre de vaccination de Saint-Étienne Centre-Deux n° ${i + 1}`,
      type_centre: 'centre', adresse: '2 rue des Docteurs-Charcot', code_postal: '42100',
      commune: '42218', contact_nom: 'Jeanne Martin',
      contact_email: 'jeanne.martin-tres-longue-adresse@centre-de-vaccination.example.org',
      contact_telephone: '04 77 12 34 56',
      lignes: [{ vaccin: 'spikevax', doses: 100 + 10 * i }, { vaccin: 'arexvy', doses: 20 }],
      publics: ['plus_65', 'risque'], capacite_stockage: 500,
      date_souhaitee: workingDayAhead(14) }));
  }
  const opening = await api(base, armateur, 'POST', '/apps/ponts-sete/ouverture/records', {
    societe: 'Armement Thau Marée', siret: '73282932000074', contact_nom: 'Paul Roux',
    contact_email: 'paul.roux@example.org', telephone_capitaine: '06 12 34 56 78',
    navire: 'Belle de Thau', categorie: 'peche', immatriculation: 'st 123456', longueur: 18.5,
    largeur: 6, tirant_air: 9.2, tirant_eau: 2.1, personnes_a_bord: 4, sens: 'vers_etang',
    ponts: ['victoire', 'tivoli', 'gare'], creneau_souhaite: `${workingDayAhead(14)}T14:30` });
  // a centre's draft, a citizen's draft (its resume link) and complaint (its receipt)
  const draft = await api(base, centre, 'POST', '/apps/vaccins/commande/drafts', {
    fields: { centre: 'Centre de vaccination de Feurs', lignes: [{ vaccin: 'influvac', doses: 40 }] } });
  const complaint = { categorie: 'voirie', objet: 'Lampadaire éteint', adresse: '3 rue du Taur',
    code_postal: '31000', commune: '31555', description: 'Le lampadaire est éteint depuis une semaine.',
    danger: false, nom: 'Camille Durand', courriel: 'camille.durand@example.org' };
  const citizenDraft = await api(base, null, 'POST', '/apps/reclamations/reclamation/drafts',
    { fields: { objet: 'Trottoir abîmé' } });
  const filed = await api(base, null, 'POST', '/apps/reclamations/reclamation/records',
    { fields: complaint });
  return { order: orders[0], orders, opening, draft, citizenDraft, filed };
}

// ---------------------------------------------------------------- the runner

const tests = [];
const test = (name, fn) => tests.push({ name, fn });
function check(cond, message) {
  if (!cond) throw new Error(message);
}

async function signIn(page, base, login, password = 'demo') {
  await page.goto(base + '/login');
  await page.fill('#login', login);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]')]);
  check(!page.url().includes('/login'), `${login} could not sign in: ${page.url()}`);
}

// Every page type: who sees it, where. Filled in once the seed's ids are known.
function pageTypes(ids) {
  const o = `/a/vaccins/commande/${ids.order.id}`;
  return [
    { name: 'accueil', who: null, url: '/' },
    { name: 'connexion', who: null, url: '/login' },
    { name: 'formulaire public', who: null, url: '/a/reclamations/reclamation/new' },
    { name: 'accessibilité', who: null, url: '/accessibilite' },
    { name: 'mentions légales', who: null, url: '/mentions-legales' },
    { name: 'données personnelles', who: null, url: '/donnees-personnelles' },
    { name: "données personnelles d'une app", who: null, url: '/a/reclamations/donnees-personnelles' },
    { name: 'page introuvable', who: null, url: '/a/nulle-part', status: 404 },
    { name: "accueil d'une app", who: 'centre1', url: '/a/vaccins' },
    { name: 'formulaire (agent)', who: 'centre1', url: '/a/vaccins/commande/new' },
    { name: 'formulaire en étapes', who: 'armateur1', url: '/a/ponts-sete/ouverture/new' },
    { name: 'liste', who: 'centre1', url: '/a/vaccins/commande' },
    { name: 'fiche', who: 'centre1', url: o },
    { name: 'modification', who: 'centre1', url: `${o}/edit` },
    { name: 'liste des ponts', who: 'regulation1', url: '/a/ponts-sete/ouverture' },
    { name: 'fiche des ponts', who: 'regulation1', url: `/a/ponts-sete/ouverture/${ids.opening.id}` },
    { name: 'tableau de bord', who: 'pharmacie1', url: '/a/vaccins/stats' },
    { name: 'administration', who: 'admin', url: '/admin' },
    { name: 'utilisateurs', who: 'admin', url: '/admin/users' },
    { name: 'un utilisateur', who: 'admin', url: '/admin/users/centre1' },
    { name: "file d'envoi", who: 'admin', url: '/admin/outbox' },
    { name: 'registre RGPD', who: 'admin', url: '/admin/registre' },
    { name: "journal d'audit", who: 'admin', url: '/admin/audit' },
    { name: 'mes brouillons', who: 'centre1', url: '/a/vaccins/brouillons' },
    { name: 'brouillon', who: 'centre1', url: `/a/vaccins/commande/brouillons/${ids.draft.id}` },
    { name: "brouillon d'un usager", who: null, url: new URL(ids.citizenDraft.resume_url).pathname },
    { name: 'accusé de réception', who: null,
      url: `${new URL(ids.filed.tracking_url).pathname}?recu=1` },
  ];
}

const contexts = new Map();   // who → a signed-in browser context (bypassing the CSP for axe)
async function pageAs(browser, base, who, options = {}) {
  const key = `${who}|${JSON.stringify(options)}`;
  if (!contexts.has(key)) {
    const ctx = await browser.newContext({ bypassCSP: true, locale: 'fr-FR', ...options });
    if (who) {
      const p = await ctx.newPage();
      await signIn(p, base, who, who === 'admin' ? ADMIN_PASSWORD : 'demo');
      await p.close();
    }
    contexts.set(key, ctx);
  }
  return contexts.get(key).newPage();
}

async function axe(page) {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.length} × ` +
                                   v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', '));
  });
}

async function main() {
  const { proc, base } = await startServer();
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [] });
  let passed = 0;
  let failed = 0;
  const shared = { base, browser, ids: await seed(base), axe: [], weights: [] };
  try {
    for (const t of tests) {
      if (only && !t.name.includes(only)) continue;
      try {
        await t.fn(shared);
        passed++;
        console.log(`ok ${t.name}`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${t.name}\n    ${String(e.stack || e).split('\n').slice(0, 12).join('\n    ')}`);
      }
    }
  } finally {
    await browser.close();
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
  if (/ERROR: (Address|Leak)Sanitizer|runtime error:/.test(serverLog())) {
    failed++;
    console.log('FAIL the server reported a sanitizer error\n' + serverLog().slice(-3000));
  }
  if (resultsFile && shared.axe.length) writeResults(shared.axe, shared.weights);
  fs.rmSync(tmp, { recursive: true, force: true });
  if (pgServer) psql(`DROP DATABASE IF EXISTS "${pgName}" WITH (FORCE)`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

// The statement page's "résultats des tests": what this run checked, with its date.
function writeResults(rows, weights) {
  const out = {
    date: new Date().toISOString().slice(0, 10),
    tool: `axe-core ${JSON.parse(fs.readFileSync(path.join(here, 'node_modules/axe-core/package.json'))).version}`,
    browser: 'Chromium',
    pages: rows.length,
    violations: rows.reduce((n, r) => n + r.violations.length, 0),
    results: rows,
    weights, // bytes transferred per page type (HTML, CSS, script; gzip), first visit
  };
  fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
  fs.writeFileSync(resultsFile, JSON.stringify(out, null, 1) + '\n');
}


// ---------------------------------------------------------------- the tests

test('every page type passes axe-core (WCAG 2.1 A and AA) with 0 violations', async (s) => {
  const bad = [];
  for (const t of pageTypes(s.ids)) {
    const page = await pageAs(s.browser, s.base, t.who);
    const res = await page.goto(s.base + t.url);
    check(res.status() === (t.status || 200), `${t.url}: status ${res.status()}`);
    const violations = await axe(page);
    s.axe.push({ page: t.name, url: t.url, violations });
    if (violations.length) bad.push(`${t.name} ${t.url}: ${violations.join('; ')}`);
    await page.close();
  }
  check(bad.length === 0, bad.join('\n'));
});

test('no page type scrolls sideways at 320 CSS px (WCAG 1.4.10) and axe-core still passes', async (s) => {
  const bad = [];
  for (const t of pageTypes(s.ids)) {
    const page = await pageAs(s.browser, s.base, t.who, { viewport: { width: 320, height: 640 } });
    await page.goto(s.base + t.url);
    const violations = await axe(page);
    if (violations.length) bad.push(`${t.name} ${t.url} at 320 px: ${violations.join('; ')}`);
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    if (w > 320) {
      const culprits = await page.evaluate(() => [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > 321 && !e.closest('.table-wrap'))
        .slice(0, 4).map((e) => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`).join(', '));
      bad.push(`${t.name} ${t.url}: ${w} px wide (${culprits})`);
    }
    await page.close();
  }
  check(bad.length === 0, bad.join('\n'));
});

test('every page type weighs under 40 KB transferred', async (s) => {
  const bad = [];
  const report = [];
  for (const t of pageTypes(s.ids)) {
    // A fresh context each time: nothing cached, as on a first visit.
    const ctx = await s.browser.newContext({ storageState: await (await pageAs(
      s.browser, s.base, t.who)).context().storageState() });
    const page = await ctx.newPage();
    let bytes = 0;
    page.on('response', async (r) => {
      const len = Number((await r.allHeaders())['content-length'] || 0);
      bytes += len || (await r.body().catch(() => Buffer.alloc(0))).length;
    });
    await page.goto(s.base + t.url, { waitUntil: 'networkidle' });
    report.push(`${t.name}: ${(bytes / 1024).toFixed(1)} KB`);
    s.weights.push({ page: t.name, url: t.url, bytes });
    if (bytes > 40 * 1024) bad.push(`${t.name} ${t.url}: ${bytes} bytes`);
    await ctx.close();
  }
  console.log('    weight: ' + report.join(', '));
  check(bad.length === 0, bad.join('\n'));
});

test('on Slow 3G (400 kbit/s, 400 ms) the public form is usable in under 3 s', async (s) => {
  const ctx = await s.browser.newContext({ locale: 'fr-FR' }); // nothing cached
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 400, downloadThroughput: 400 * 1024 / 8,
    uploadThroughput: 400 * 1024 / 8 });
  const t0 = Date.now();
  await page.goto(s.base + '/a/reclamations/reclamation/new', { waitUntil: 'load' });
  const ms = Date.now() - t0;
  console.log(`    slow 3G: the complaint form loaded in ${ms} ms`);
  check(await page.isVisible('#f-objet'), 'the form is not there');
  check(ms < 3000, `${ms} ms`);
  await ctx.close();
});

// WCAG 1.4.12: line height 1.5, paragraphs 2em apart, letters 0.12em, words 0.16em.
test('at 320 px a wide list scrolls in its own region, its caption and filters in view', async (s) => {
  const page = await pageAs(s.browser, s.base, 'centre1', { viewport: { width: 320, height: 640 } });
  await page.goto(s.base + '/a/vaccins/commande');
  const region = page.locator('main .table-wrap[role=region]').first();
  check(await region.getAttribute('tabindex') === '0', 'the scroll region is not focusable');
  const wide = await region.evaluate((e) => e.scrollWidth > e.clientWidth);
  check(wide, 'the list is not wider than the screen: nothing to check');
  await region.evaluate((e) => { e.scrollLeft = e.scrollWidth; });
  const cap = await page.locator('main .table-wrap caption .cap').first().boundingBox();
  check(cap && cap.x >= 0 && cap.x < 320, `the caption scrolled out of view: ${JSON.stringify(cap)}`);
  const filters = await page.locator('main form.filters, main .filters').first().boundingBox();
  check(!filters || (filters.x >= 0 && filters.x + filters.width <= 321),
        `the filters are not in view: ${JSON.stringify(filters)}`);
  await page.close();
});

test('text spacing (WCAG 1.4.12) loses nothing at 320 px', async (s) => {
  const bad = [];
  for (const t of pageTypes(s.ids)) {
    const page = await pageAs(s.browser, s.base, t.who, { viewport: { width: 320, height: 640 } });
    await page.goto(s.base + t.url);
    await page.addStyleTag({ content: '*{line-height:1.5!important;letter-spacing:.12em!important;' +
                                      'word-spacing:.16em!important}p{margin-bottom:2em!important}' });
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    if (w > 320) bad.push(`${t.name} ${t.url}: ${w} px wide`);
    await page.close();
  }
  check(bad.length === 0, bad.join('\n'));
});

test('every page type is valid HTML for the Nu HTML Checker', async (s) => {
  const dir = path.join(tmp, 'vnu');
  fs.mkdirSync(dir, { recursive: true });
  const names = new Map();
  let n = 0;
  for (const t of pageTypes(s.ids)) {
    const page = await pageAs(s.browser, s.base, t.who);
    const res = await page.goto(s.base + t.url);
    const file = path.join(dir, `page${n++}.html`);
    fs.writeFileSync(file, await res.text());
    names.set(file, `${t.name} ${t.url}`);
    await page.close();
  }
  const p = spawnSync('java', ['-jar', vnuJar, '--errors-only', '--format', 'json', dir],
                      { encoding: 'utf8', maxBuffer: 1 << 26 });
  const messages = JSON.parse(p.stderr || p.stdout || '{"messages":[]}').messages || [];
  check(p.status !== null, `vnu did not run: ${p.error}`);
  const bad = messages.map((m) => `${names.get(fileURLToPath(m.url)) || m.url}:${m.lastLine}: ${m.message}`);
  check(bad.length === 0, bad.slice(0, 20).join('\n'));
});

test('web/conditions.js agrees with the C rule on every case of tests/conditions/cases.json', async () => {
  const sandbox = {};
  vm.runInNewContext(fs.readFileSync(path.join(root, 'web/conditions.js'), 'utf8'),
                     { window: sandbox });
  const { cases } = JSON.parse(fs.readFileSync(path.join(root, 'tests/conditions/cases.json')));
  const kind = { yes_no: 'boolean', choice: 'text' };
  const bad = cases.filter((c) => sandbox.smallappsMatches(kind[c.type] || c.type, c.input, c.want) !== c.holds)
    .map((c) => JSON.stringify(c));
  check(cases.length >= 30 && bad.length === 0, bad.join('\n'));
});

// The complaint form's conditions, as the citizen fills it: with the script, a field
// appears when it applies and the hints go; without it, everything is there with hints.
test('with JavaScript, conditional fields appear as one answers; without, all show with hints', async (s) => {
  const page = await pageAs(s.browser, s.base, null);
  await page.goto(s.base + '/a/reclamations/reclamation/new');
  const shown = (sel) => page.locator(sel).isVisible();
  check(!(await shown('#f-precision_categorie')), 'precision shown before "autre" is chosen');
  check(!(await shown('#f-montant_dommage')), 'amount shown before the claim is asked');
  check(await page.evaluate(() => [...document.querySelectorAll('.hint.cond')].every((h) => !h.offsetParent)),
        'the "À remplir seulement si" hints still show');
  const described = await page.getAttribute('#f-telephone', 'aria-describedby');
  check(!described || !described.includes('-cond'), `a hidden hint still describes: ${described}`);
  await page.locator('input[name=categorie][value=autre]').check();
  check(await shown('#f-precision_categorie'), 'precision not shown once "autre" is chosen');
  const inTabOrder = await page.evaluate(() => {
    const e = document.getElementById('f-montant_dommage');
    e.focus();
    return document.activeElement === e;
  });
  check(!inTabOrder, 'a hidden field can still take the focus');
  await page.locator('input[name=canal_reponse][value=telephone]').check().catch(() => {});
  const req = await page.getAttribute('#f-telephone', 'aria-required');
  check(req === 'true', `the phone is not marked required once the phone is chosen: ${req}`);
  await page.close();

  const ctx = await s.browser.newContext({ javaScriptEnabled: false, locale: 'fr-FR' });
  const off = await ctx.newPage();
  await off.goto(s.base + '/a/reclamations/reclamation/new');
  check(await off.locator('#f-precision_categorie').isVisible(), 'without script, a field is missing');
  check(await off.locator('.hint.cond').first().isVisible(), 'without script, the hints are missing');
  await ctx.close();
});

test('a citizen files a complaint with the mouse and gets a tracking link', async (s) => {
  const page = await pageAs(s.browser, s.base, null);
  await page.goto(s.base + '/a/reclamations/reclamation/new');
  await page.getByLabel('Voirie').check().catch(async () => page.locator('input[name=categorie]').first().check());
  await page.fill('#f-objet', 'Nid-de-poule devant l\'école');
  await page.fill('#f-description', 'Un trou profond sur la chaussée, rue Victor-Hugo.');
  await page.fill('#f-adresse', '12 rue Victor-Hugo');
  await page.fill('#f-code_postal', '31000');
  await page.fill('#f-commune', 'Toulouse');
  await page.locator('input[name=danger][value="0"]').check();
  await page.fill('#f-nom', 'Camille Durand');
  await page.fill('#f-courriel', 'camille.durand@example.org');
  // GDPR art. 13: what happens to the data, shown before the button, linked to the notice
  const notice = page.locator('main form[method=post] .privacy-notice');
  check(await notice.isVisible(), 'no personal-data notice in the form');
  const before = await page.evaluate(() => {
    const n = document.querySelector('main form[method=post] .privacy-notice');
    const b = document.querySelector('main form[method=post] .actions button[type=submit]');
    return !!(n.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
  });
  check(before, 'the notice comes after the submit button');
  check(/conserv/i.test(await notice.textContent()), 'the notice does not say how long data is kept');
  check(await notice.locator('a[href="/a/reclamations/donnees-personnelles"]').count() === 1,
        'the notice does not link the full text');
  await Promise.all([page.waitForNavigation(), page.click('main form[method=post] .actions button[type=submit]')]);
  const text = await page.textContent('main');
  check(/suivi/i.test(text), `no tracking on the receipt: ${text.slice(0, 400)}`);
  const link = await page.locator('main a[href*="/suivi/"]').first().getAttribute('href');
  const track = await page.goto(new URL(link, s.base).href);
  check(track.status() === 200, `tracking page: ${track.status()}`);
  const tracked = await page.textContent('main');
  check(/Reçue|reçue/.test(tracked), `the tracking page does not give the state: ${tracked.slice(0, 300)}`);
  await page.close();
});

// The centre's part of an order, typed into the form as a person would.
async function fillOrder(page) {
  await page.fill('#f-centre', 'Centre de vaccination de Roanne');
  await page.locator('input[name=type_centre][value=centre]').check();
  await page.fill('#f-adresse', '1 place de l\'Hôtel-de-Ville');
  await page.fill('#f-code_postal', '42300');
  await page.fill('#f-commune', '42187');
  await page.fill('#f-contact_nom', 'Lina Morel');
  await page.fill('#f-contact_email', 'lina.morel@example.org');
  await page.fill('#f-contact_telephone', '04 77 23 45 67');
  await page.locator('input[name=publics][value=plus_65]').check();
  await page.fill('#f-capacite_stockage', '1000');
  await page.fill('#f-date_souhaitee', workingDayAhead(14));
}

test('a centre orders two vaccines: lines added in place with JavaScript, by a round trip without', async (s) => {
  const page = await pageAs(s.browser, s.base, 'centre1');
  await page.goto(s.base + '/a/vaccins/commande/new');
  await fillOrder(page);
  await page.selectOption('[id="f-lignes[1].vaccin"]', 'spikevax');
  await page.fill('[id="f-lignes[1].doses"]', '100');
  const url = page.url();
  await page.getByRole('button', { name: 'Ajouter une ligne' }).click();
  check(page.url() === url, 'adding a line left the page');
  check(await page.locator('fieldset.line').count() === 2, 'no second line');
  const focused = await page.evaluate(() => document.activeElement.name);
  check(focused === 'lignes[2].vaccin', `the focus is not on the new line: ${focused}`);
  check(await page.inputValue('[id="f-lignes[1].doses"]') === '100', 'line 1 lost its value');
  check(await page.inputValue('[id="f-lignes[2].doses"]') === '', 'the new line is not blank');
  await page.selectOption('[id="f-lignes[2].vaccin"]', 'arexvy');
  await page.fill('[id="f-lignes[2].doses"]', '20');
  await page.getByRole('button', { name: 'Ajouter une ligne' }).click();
  await page.getByRole('button', { name: 'Supprimer la ligne 3' }).click();
  check(await page.locator('fieldset.line').count() === 2, 'the third line was not removed');
  // Enter in a text box sends the order (it does not add a line)
  await page.focus('#f-centre');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  const main = await page.textContent('main');
  check(/Commande de doses n°\s*\d+/.test(main) && main.includes('Arexvy'),
        `the order of two lines was not saved: ${main.slice(0, 300)}`);
  check(await page.locator('table caption', { hasText: 'Vaccins commandés (2)' }).count() === 1,
        'the record page has no table of the lines');
  await page.close();

  const ctx = await s.browser.newContext({ javaScriptEnabled: false, locale: 'fr-FR' });
  const off = await ctx.newPage();
  await signIn(off, s.base, 'centre1', 'demo');
  await off.goto(s.base + '/a/vaccins/commande/new');
  await off.selectOption('[id="f-lignes[1].vaccin"]', 'influvac');
  await off.fill('[id="f-lignes[1].doses"]', '30');
  await Promise.all([off.waitForNavigation(),
    off.getByRole('button', { name: 'Ajouter une ligne' }).click()]);
  check(await off.locator('fieldset.line').count() === 2, 'without script, no second line');
  check(await off.inputValue('[id="f-lignes[1].doses"]') === '30', 'without script, line 1 lost');
  await ctx.close();
});

test('a commune is suggested as one types: combobox, arrows, Enter takes it, axe-clean', async (s) => {
  const page = await pageAs(s.browser, s.base, 'centre1');
  await page.goto(s.base + '/a/vaccins/commande/new');
  const box = page.locator('#f-commune');
  check(await box.getAttribute('role') === 'combobox', 'the commune box is no combobox');
  await box.click();
  await box.pressSequentially('saint-eti', { delay: 30 });
  const list = page.locator('#f-commune-suggestions');
  // (a pause in the typing may show a shorter query's suggestions first)
  await list.locator('[role=option]', { hasText: 'Saint-Étienne (42)' }).waitFor({ timeout: 5000 });
  check(await box.getAttribute('aria-expanded') === 'true', 'aria-expanded is not true');
  const options = await list.locator('[role=option]').allTextContents();
  check(options.some((o) => o.startsWith('Saint-Étienne (42)')), `no Saint-Étienne: ${options}`);
  check(options.every((o) => o.includes('(42)')), `a commune outside the Loire: ${options}`);
  check(/suggestion/.test(await page.locator('#f-commune-suggestions + [role=status]').textContent()),
        'the number of suggestions is not said');
  const violations = await axe(page);
  check(violations.length === 0, `axe with the suggestions open: ${violations.join('; ')}`);
  const url = page.url();
  let k = 0;
  while (!(await page.evaluate(() => document.querySelector('#f-commune-suggestions [aria-selected=true]')
    ?.textContent.startsWith('Saint-Étienne (42)'))) && k++ < 8)
    await page.keyboard.press('ArrowDown');
  const active = await box.getAttribute('aria-activedescendant');
  check(active && await page.locator(`#${active}`).getAttribute('aria-selected') === 'true',
        'aria-activedescendant does not name the selected option');
  await page.keyboard.press('Enter');
  check(page.url() === url, 'Enter on a suggestion sent the form');
  check(await box.inputValue() === 'Saint-Étienne (42)', `the box holds ${await box.inputValue()}`);
  check(await box.getAttribute('aria-expanded') === 'false', 'the list stayed open');
  await page.close();
  // under the page's own Content-Security-Policy (the pages above bypass it for axe)
  const strict = await pageAs(s.browser, s.base, 'centre1', { bypassCSP: false });
  await strict.goto(s.base + '/a/vaccins/commande/new');
  await strict.locator('#f-commune').click();
  await strict.locator('#f-commune').pressSequentially('roan', { delay: 30 });
  await strict.locator('#f-commune-suggestions [role=option]', { hasText: 'Roanne (42)' })
    .waitFor({ timeout: 5000 }).catch(() => check(false, 'no suggestion under the CSP'));
  await strict.close();
});

// Tab until the focused element passes `is` (evaluated in the page); false after 80 presses.
async function tabTo(page, is, arg) {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(is, arg)) return true;
  }
  return false;
}

test('the pharmacy refuses an order with the keyboard alone', async (s) => {
  const ctx = await s.browser.newContext({ locale: 'fr-FR' });
  const page = await ctx.newPage();
  await page.goto(s.base + '/login');
  check(await tabTo(page, () => document.activeElement.id === 'login'), 'login field not reachable');
  await page.keyboard.type('pharmacie1');
  await page.keyboard.press('Tab');
  await page.keyboard.type('demo');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  check(!page.url().includes('/login'), 'sign-in by keyboard failed');
  const id = s.ids.orders[1].id;
  await page.goto(s.base + `/a/vaccins/commande/${id}`);
  check(await tabTo(page, () => document.activeElement.textContent.trim() === 'Refuser'),
        'the "Refuser" action is not reachable with Tab');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  check(page.url().endsWith('/do/refuser'), `Enter on "Refuser" led to ${page.url()}`);
  check(await tabTo(page, () => document.activeElement.name === 'motif_refus'), 'no motif');
  await page.keyboard.press('ArrowDown');
  check(await tabTo(page, () => document.activeElement.tagName === 'TEXTAREA'), 'no comment');
  await page.keyboard.type('Commande en double de la n° 1.');
  check(await tabTo(page, () => document.activeElement.type === 'submit'), 'no submit button');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  const main = await page.textContent('main');
  check(page.url().includes(`/commande/${id}`) && main.includes('Refusée'),
        `the order was not refused: ${page.url()} ${main.slice(0, 300)}`);
  await ctx.close();
});

test('a ship owner asks for a bridge opening in three steps, back and forth, then sends', async (s) => {
  const page = await pageAs(s.browser, s.base, 'armateur1');
  await page.goto(s.base + '/a/ponts-sete/ouverture/new');
  const title = async () => (await page.title());
  check((await title()).includes('étape 1 sur 4'), `title: ${await title()}`);
  await page.fill('#f-societe', 'Armement Thau Marée');
  await page.fill('#f-siret', '73282932000074');
  await page.fill('#f-contact_nom', 'Paul Roux');
  await page.fill('#f-contact_email', 'paul.roux@example.org');
  await page.fill('#f-telephone_capitaine', '06 12 34 56 78');
  await Promise.all([page.waitForNavigation(), page.click('button[value=next]')]);
  check((await title()).includes('étape 2 sur 4'), `after step 1: ${await title()}`);
  // "Précédent" keeps what step 1 had
  await Promise.all([page.waitForNavigation(), page.click('button[value=prev]')]);
  check((await page.inputValue('#f-societe')) === 'Armement Thau Marée', 'step 1 lost its values');
  await Promise.all([page.waitForNavigation(), page.click('button[value=next]')]);
  await page.fill('#f-navire', 'Belle de Thau');
  await page.selectOption('#f-categorie', 'peche');
  await page.fill('#f-immatriculation', 'ST 123456');
  for (const [id, v] of [['longueur', '18,5'], ['largeur', '6'], ['tirant_air', '9,2'],
                         ['tirant_eau', '2,1'], ['personnes_a_bord', '4']])
    await page.fill(`#f-${id}`, v);
  // an error holds the person on the step, with its summary
  await page.fill('#f-navire', '');
  await Promise.all([page.waitForNavigation(), page.click('button[value=next]')]);
  check((await title()).includes('étape 2 sur 4') && (await page.isVisible('.error-summary')),
        'an empty ship name did not hold the step');
  await page.fill('#f-navire', 'Belle de Thau');
  await Promise.all([page.waitForNavigation(), page.click('button[value=next]')]);
  check((await title()).includes('étape 3 sur 4'), `after step 2: ${await title()}`);
  await page.locator('input[name=sens][value=vers_etang]').check();
  await page.locator('input[name=ponts][value=gare]').check();
  await page.fill('#f-creneau_souhaite', `${workingDayAhead(14)}T14:30`);
  await Promise.all([page.waitForNavigation(), page.click('button[value=next]')]);
  const summary = await page.textContent('main');
  check(summary.includes('Récapitulatif') && /belle de thau/i.test(summary) &&
        summary.includes('Armement Thau Marée'), `summary: ${summary.replace(/\s+/g, ' ').slice(0, 900)}`);
  await Promise.all([page.waitForNavigation(), page.click('button[value=submit]')]);
  const done = await page.textContent('main');
  check(/\/ouverture\/\d+/.test(page.url()) && done.includes('BELLE DE THAU'),
        `not created: ${page.url()} ${done.slice(0, 300)}`);
  await page.close();
});

test('a record prints on A4 with its fields, state, history, the site and the date, no buttons', async (s) => {
  const page = await pageAs(s.browser, s.base, 'centre1');
  await page.goto(s.base + `/a/vaccins/commande/${s.ids.order.id}`);
  const pdf = path.join(tmp, 'fiche.pdf');
  await page.pdf({ path: pdf, format: 'A4', printBackground: false });
  const p = spawnSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
  check(p.status === 0, `pdftotext: ${p.stderr}`);
  const text = p.stdout.replace(/\s+/g, ' ');
  for (const want of ['Département de la Loire', 'Centre de vaccination de Saint-Étienne',
                      'Historique', 'Soumise', 'Imprimé le'])
    check(text.includes(want), `the printout lacks "${want}": ${text.slice(0, 600)}`);
  for (const never of ['Se déconnecter', 'Aller au contenu', 'Modifier'])
    check(!text.includes(never), `the printout shows "${never}"`);
  await page.close();
});

await main();
