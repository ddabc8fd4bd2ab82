// Builds assets/static/vendor/ from node_modules (run by `task assets`, after `npm ci`).
// The output is committed: `go build` never needs Node.
//
// It keeps only what the pages use, because the cold login page must stay under 100 KB
// on slow links, and because the CSP is `default-src 'self'` (no data: images):
//   - htmx.min.js as shipped;
//   - one DSFR stylesheet: core + the components below (modern "main" build plus print
//     rules, no IE "legacy" build), with selectors that can never match here removed
//     (legacy fr-fi- icons, DSFR-JS-only and dark-theme states, colour accents), unused
//     custom properties pruned, our own @font-face rules, the icon classes we use, every
//     url() pointing at a copied file (data: URIs become files);
//   - Marianne Regular and Bold, subset to Latin-1 + French typography, unhinted;
//   - the favicon.
// Anything it cannot resolve makes it fail loudly.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import subsetFont from 'subset-font';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NODE_MODULES = path.join(ROOT, 'node_modules');
const DSFR = path.join(NODE_MODULES, '@gouvfr', 'dsfr');
const DIST = path.join(DSFR, 'dist');
const STATIC = path.join(ROOT, 'assets', 'static');
const OUT = path.join(STATIC, 'vendor');
const DSFR_OUT = path.join(OUT, 'dsfr');
const CSS_OUT = path.join(DSFR_OUT, 'dsfr.min.css');

// DSFR components the pages use (dist/component/<name>/). Adding one costs bytes on
// every page: check the size table printed at the end.
const COMPONENTS = [
  'header', 'footer', 'skiplink', 'logo', 'button', 'link', 'input', 'form', 'alert',
  'notice', 'badge', 'tag', 'tile', 'card', 'table', 'tab', 'radio', 'checkbox',
  'breadcrumb', 'stepper', 'callout', 'highlight', 'modal', 'segmented', 'connect', 'select',
];

// Icon classes (fr-icon-<name>) the views may use. Icons that the components' own
// CSS references (alert/notice status, header menu, external link…) come on top.
const ICONS = [
  'arrow-left-line', 'arrow-right-line', 'user-line', 'logout-box-r-line',
  'checkbox-circle-line', 'error-warning-line', 'information-line', 'alert-line',
  'search-line', 'close-line', 'printer-line', 'download-line', 'account-circle-line',
  'lock-line', 'mail-line', 'team-line', 'file-text-line', 'external-link-line',
];

// Two Marianne files only. Light/Medium requests map onto them instead of being synthesised;
// italic is synthesised by the browser.
const FONTS = [
  { file: 'Marianne-Regular.woff2', weight: '100 500' },
  { file: 'Marianne-Bold.woff2', weight: '600 900' },
];
// Latin-1 covers French and most European names; the rest is French typography
// (œ Œ Ÿ, dashes, quotes, ellipsis, narrow no-break space, €, ™). Characters outside
// fall back, one by one, to the next font of DSFR's stack (Arial).
const UNICODE_RANGE = [
  [0x20, 0x7e], [0xa0, 0xff], [0x152, 0x153], [0x178, 0x178], [0x2010, 0x2014],
  [0x2018, 0x201a], [0x201c, 0x201e], [0x2022, 0x2022], [0x2026, 0x2026],
  [0x202f, 0x202f], [0x2039, 0x203a], [0x20ac, 0x20ac], [0x2122, 0x2122],
];
const FONT_FEATURES = ['kern', 'liga', 'calt', 'ccmp', 'locl', 'mark', 'mkmk'];

const ACCENTS = [
  'green-tilleul-verveine', 'green-bourgeon', 'green-emeraude', 'green-menthe',
  'green-archipel', 'blue-ecume', 'blue-cumulus', 'purple-glycine', 'pink-macaron',
  'pink-tuile', 'yellow-tournesol', 'yellow-moutarde', 'orange-terre-battue',
  'brown-cafe-creme', 'brown-caramel', 'brown-opera', 'beige-gris-galet',
];
// A selector matching one of these can never match a page of ours: we never use the
// legacy fr-fi- icon classes nor colour accent variants, and we ship no DSFR JavaScript
// (which sets data-fr-js-* and the dark theme).
const DEAD_SELECTORS = [
  /fr-fi-/,
  /\[data-fr-js/,
  /\[data-fr-theme=dark\]/,
  new RegExp(`--(${ACCENTS.join('|')})(?![\\w-])`),
];

function fail(message) {
  throw new Error(message);
}

function readJSON(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

// ---------- CSS: a small parser for minified, trusted CSS ----------

// Index just past the string or comment starting at i, or i when there is none.
function skipQuoted(s, i) {
  const c = s[i];
  if (c === '"' || c === "'") {
    for (let j = i + 1; j < s.length; j++) {
      if (s[j] === '\\') j++;
      else if (s[j] === c) return j + 1;
    }
    fail(`unterminated string in CSS near: ${s.slice(i, i + 60)}`);
  }
  if (c === '/' && s[i + 1] === '*') {
    const end = s.indexOf('*/', i + 2);
    if (end < 0) fail('unterminated comment in CSS');
    return end + 2;
  }
  return i;
}

function stripComments(s) {
  let out = '';
  for (let i = 0; i < s.length;) {
    const j = skipQuoted(s, i);
    if (j === i) { out += s[i++]; continue; }
    if (s[i] !== '/') out += s.slice(i, j);
    i = j;
  }
  return out;
}

// Splits s on sep where not nested in (), [] or a string.
function splitTop(s, sep) {
  const parts = [];
  let depth = 0, start = 0;
  for (let i = 0; i < s.length;) {
    const j = skipQuoted(s, i);
    if (j !== i) { i = j; continue; }
    const c = s[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === sep && depth === 0) { parts.push(s.slice(start, i)); start = i + 1; }
    i++;
  }
  parts.push(s.slice(start));
  return parts;
}

const GROUPING_AT_RULES = /^@(media|supports|layer|container|document)\b/;

// Nodes: {prelude, children} for grouping at-rules, {prelude, body} for other blocks,
// {statement} for @charset/@import.
function parseCSS(css) {
  css = stripComments(css);
  const nodes = [];
  let start = 0;
  for (let i = 0; i < css.length;) {
    const j = skipQuoted(css, i);
    if (j !== i) { i = j; continue; }
    const c = css[i];
    if (c === ';') {
      const statement = css.slice(start, i).trim();
      if (statement) nodes.push({ statement });
      start = ++i;
    } else if (c === '{') {
      const prelude = css.slice(start, i).trim();
      let depth = 1, k = i + 1;
      while (depth > 0) {
        if (k >= css.length) fail(`unbalanced braces after: ${prelude.slice(0, 80)}`);
        const q = skipQuoted(css, k);
        if (q !== k) { k = q; continue; }
        if (css[k] === '{') depth++;
        else if (css[k] === '}') depth--;
        k++;
      }
      const inner = css.slice(i + 1, k - 1);
      nodes.push(GROUPING_AT_RULES.test(prelude) ? { prelude, children: parseCSS(inner) } : { prelude, body: inner });
      start = i = k;
    } else if (c === '}') {
      fail(`unexpected } in CSS near: ${css.slice(Math.max(0, i - 60), i + 1)}`);
    } else {
      i++;
    }
  }
  if (css.slice(start).trim()) fail(`trailing CSS: ${css.slice(start, start + 80)}`);
  return nodes;
}

function serialize(nodes) {
  return nodes.map(n => {
    if (n.statement) return `${n.statement};`;
    if (n.children) return `${n.prelude}{${serialize(n.children)}}`;
    return `${n.prelude}{${n.body}}`;
  }).join('');
}

// Applies fn to every leaf block; fn returns the node, or null to drop it. Empty groups go too.
function mapLeaves(nodes, fn) {
  const out = [];
  for (const n of nodes) {
    if (n.children) {
      const children = mapLeaves(n.children, fn);
      if (children.length) out.push({ ...n, children });
    } else if (n.statement) {
      out.push(n);
    } else {
      const m = fn(n);
      if (m) out.push(m);
    }
  }
  return out;
}

function isStyleRule(n) {
  return !n.prelude.startsWith('@');
}

// The selector without its parenthesised parts: `.a:not([class^=fr-fi-])` is alive,
// it is `.a[class^=fr-fi-]` that can never match.
function outsideParens(sel) {
  let out = '', depth = 0;
  for (let i = 0; i < sel.length;) {
    const j = skipQuoted(sel, i);
    if (j !== i) { if (depth === 0) out += sel.slice(i, j); i = j; continue; }
    const c = sel[i++];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0) out += c;
  }
  return out;
}

function dropDeadSelectors(nodes) {
  return mapLeaves(nodes, n => {
    if (n.prelude.startsWith('@font-face')) return null; // ours replace DSFR's
    if (!isStyleRule(n)) return n;
    const kept = splitTop(n.prelude, ',').filter(sel => !DEAD_SELECTORS.some(re => re.test(outsideParens(sel))));
    return kept.length ? { ...n, prelude: kept.join(',') } : null;
  });
}

// Removes custom property declarations that nothing reads, until nothing changes.
// extraCSS (our app.css) counts as a reader.
function pruneCustomProperties(nodes, extraCSS) {
  for (;;) {
    const text = serialize(nodes) + extraCSS;
    const used = new Set([...text.matchAll(/var\(\s*(--[\w-]+)/g)].map(m => m[1]));
    let removed = 0;
    nodes = mapLeaves(nodes, n => {
      if (n.body.includes('{')) return n; // @keyframes and the like
      const decls = splitTop(n.body, ';').filter(d => {
        const m = d.trim().match(/^(--[\w-]+)\s*:/);
        if (m && !used.has(m[1])) { removed++; return false; }
        return d.trim() !== '';
      });
      return decls.length ? { ...n, body: decls.join(';') } : null;
    });
    if (removed === 0) return nodes;
  }
}

// ---------- unused selectors ----------

// Where class names are written: the views (templ and Go), the app's own HTML (the
// FranceConnect simulator's pages, error pages), the handlers, and app.js (classes it
// adds). Tests are left out: a selector a test names is no use to a page.
const CLASS_SOURCES = ['views', 'app', 'handlers', path.join('assets', 'static', 'js')];
const CLASS_SOURCE_FILE = /\.(templ|go|js)$/;
const NOT_A_CLASS_SOURCE = /(_test\.go|_templ\.go)$/;

// Every word that could be a class name in those files (the extractor PurgeCSS uses by
// default: runs of letters, digits, _ and -), and the prefixes of classes built at run
// time ("fr-alert--" + kind: every class starting with fr-alert-- is kept).
function usedClasses() {
  const words = new Set();
  const prefixes = new Set();
  let files = 0;
  for (const dir of CLASS_SOURCES) {
    for (const file of listFiles(path.join(ROOT, dir))) {
      if (!CLASS_SOURCE_FILE.test(file) || NOT_A_CLASS_SOURCE.test(file)) continue;
      const text = fs.readFileSync(file, 'utf8');
      files++;
      for (const m of text.matchAll(/[A-Za-z0-9_-]+/g)) words.add(m[0]);
      for (const m of text.matchAll(/["'`](fr-[\w-]*-)["'`]\s*\+/g)) prefixes.add(m[1]);
    }
  }
  if (files < 20 || !words.has('fr-btn')) fail(`read ${files} view files and found no fr-btn: wrong CLASS_SOURCES?`);
  return { has: name => words.has(name) || [...prefixes].some(p => name.startsWith(p)), prefixes };
}

// The classes a selector requires, outside parentheses: `.a:not(.b)` needs only a, and
// `:is(.a,.b)`, rare in DSFR, is kept whatever it names.
function requiredClasses(sel) {
  return [...outsideParens(sel).matchAll(/\.(-?[_a-zA-Z][\w-]*)/g)].map(m => m[1]);
}

// Drops every selector that names a class no source uses (PurgeCSS's rule, on the parsed
// stylesheet): DSFR's grid, spacing and component variants the pages never write.
// Keyframes, font faces and selectors without classes stay.
function dropUnusedSelectors(nodes, used) {
  let kept = 0, dropped = 0;
  const out = mapLeaves(nodes, n => {
    if (!isStyleRule(n)) return n;
    const sels = splitTop(n.prelude, ',').filter(sel => {
      const ok = requiredClasses(sel).every(used.has);
      if (ok) kept++; else dropped++;
      return ok;
    });
    return sels.length ? { ...n, prelude: sels.join(',') } : null;
  });
  console.log(`dsfr.min.css: ${kept} selectors kept, ${dropped} naming unused classes dropped` +
    ` (run-time prefixes: ${[...used.prefixes].join(', ') || 'none'})`);
  return out;
}

// ---------- url() handling ----------

const URL_RE = /url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)/g;

const copied = new Map(); // output path relative to DSFR_OUT -> source path or content hash
const dataFiles = new Map(); // SHA-256 of a data: URI's content -> output path

function writeOnce(rel, data, origin) {
  const prev = copied.get(rel);
  if (prev !== undefined && prev !== origin) fail(`two different files want ${rel}: ${prev} and ${origin}`);
  if (prev === undefined) {
    fs.mkdirSync(path.dirname(path.join(DSFR_OUT, rel)), { recursive: true });
    fs.writeFileSync(path.join(DSFR_OUT, rel), data);
    copied.set(rel, origin);
  }
  return rel;
}

// Copies the file a DSFR url() names and returns its path relative to dsfr.min.css.
function vendorReference(ref, fromFile) {
  if (ref.startsWith('data:')) return vendorDataURI(ref, fromFile);
  if (/^([a-z]+:|\/|#)/i.test(ref)) fail(`${rel(fromFile)}: unsupported url(${ref})`);
  const src = path.resolve(path.dirname(fromFile), ref.replace(/[?#].*$/, ''));
  if (!fs.existsSync(src)) fail(`${rel(fromFile)}: url(${ref}) points at a missing file`);
  const fromDist = path.relative(DIST, src).split(path.sep);
  if (fromDist[0] === 'icons' && fromDist.length === 3 && src.endsWith('.svg')) {
    return writeOnce(`icons/${fromDist[2]}`, fs.readFileSync(src), src);
  }
  fail(`${rel(fromFile)}: url(${ref}) resolves to ${path.relative(DSFR, src)}, which this script does not vendor`);
}

// data: images are blocked by the CSP (img-src falls back to 'self'): write them out.
function vendorDataURI(ref, fromFile) {
  const m = ref.match(/^data:([\w.+-]+\/[\w.+-]+)((?:;[\w-]+=[\w-]+)*)(;base64)?,([\s\S]*)$/);
  if (!m) fail(`${rel(fromFile)}: unparsable data URI ${ref.slice(0, 60)}`);
  const ext = { 'image/svg+xml': 'svg', 'image/png': 'png' }[m[1]];
  if (!ext) fail(`${rel(fromFile)}: data URI of type ${m[1]} is not handled`);
  let data;
  try {
    data = m[3] ? Buffer.from(m[4], 'base64') : Buffer.from(decodeURIComponent(m[4]), 'utf8');
  } catch (e) {
    fail(`${rel(fromFile)}: cannot decode data URI ${ref.slice(0, 60)}: ${e.message}`);
  }
  const hash = crypto.createHash('sha256').update(data).digest('hex');
  if (!dataFiles.has(hash)) {
    // Named after the DSFR module that inlined it: logo-1.svg, checkbox-3.svg…
    const module = path.basename(fromFile).split('.')[0];
    const n = [...dataFiles.values()].filter(f => f.startsWith(`img/${module}-`)).length + 1;
    dataFiles.set(hash, writeOnce(`img/${module}-${n}.${ext}`, data, `data:${hash}`));
  }
  return dataFiles.get(hash);
}

function rewriteURLs(nodes, fromFile) {
  return mapLeaves(nodes, n => ({
    ...n,
    body: n.body.replace(URL_RE, (_, dq, sq, bare) => `url(${vendorReference(dq ?? sq ?? bare, fromFile)})`),
  }));
}

function rel(file) {
  return path.relative(ROOT, file);
}

// ---------- the stylesheet ----------

// DSFR's own order, from its source (the package ships src/).
function componentOrder() {
  const main = fs.readFileSync(path.join(DSFR, 'src', 'dsfr', 'component', 'main.scss'), 'utf8');
  const order = [...main.matchAll(/@import '([\w-]+)\/main'/g)].map(m => m[1]);
  for (const c of COMPONENTS) if (!order.includes(c)) fail(`component ${c} is not in DSFR's component/main.scss`);
  return order.filter(c => COMPONENTS.includes(c));
}

function loadModule(dir, name) {
  const nodes = [];
  for (const variant of ['main', 'print']) {
    const file = path.join(dir, `${name}.${variant}.min.css`);
    if (variant === 'main' && !fs.existsSync(file)) fail(`missing ${rel(file)}`);
    if (fs.existsSync(file)) nodes.push(...rewriteURLs(dropDeadSelectors(parseCSS(fs.readFileSync(file, 'utf8'))), file));
  }
  return nodes;
}

function iconRules() {
  const dir = path.join(DIST, 'utility', 'icons');
  const files = fs.readdirSync(dir, { withFileTypes: true })
    .filter(d => d.isDirectory())
    .map(d => path.join(dir, d.name, `${d.name}.main.min.css`));
  const nodes = [];
  for (const icon of ICONS) {
    const own = new RegExp(`^\\.fr-icon-${icon}:(before|after)$`);
    let found = false;
    for (const file of files) {
      const rules = mapLeaves(parseCSS(fs.readFileSync(file, 'utf8')), n => {
        if (!isStyleRule(n)) return null;
        const sels = splitTop(n.prelude, ',').filter(s => own.test(s));
        return sels.length ? { ...n, prelude: sels.join(',') } : null;
      });
      if (rules.length) {
        found = true;
        nodes.push(...rewriteURLs(rules, file));
      }
    }
    if (!found) fail(`icon ${icon} not found in ${rel(dir)}`);
  }
  return nodes;
}

function fontFaces() {
  const range = UNICODE_RANGE.map(([a, b]) => {
    const hex = n => n.toString(16).toUpperCase().padStart(4, '0');
    return a === b ? `U+${hex(a)}` : `U+${hex(a)}-${hex(b)}`;
  }).join(',');
  return FONTS.map(f => ({
    prelude: '@font-face',
    body: `font-display:swap;font-family:Marianne;font-style:normal;font-weight:${f.weight};` +
      `src:url(fonts/${f.file}) format("woff2");unicode-range:${range}`,
  }));
}

function buildCSS(version) {
  let nodes = [
    ...fontFaces(),
    ...loadModule(path.join(DIST, 'core'), 'core'),
    ...componentOrder().flatMap(c => loadModule(path.join(DIST, 'component', c), c)),
    ...iconRules(),
  ];
  nodes = dropUnusedSelectors(nodes, usedClasses());
  const appCSS = fs.readFileSync(path.join(STATIC, 'css', 'app.css'), 'utf8');
  nodes = pruneCustomProperties(nodes, appCSS);
  const banner = `/*! DSFR v${version} (subset for Aidants Connect: scripts/assets.mjs) | ` +
    'SPDX-License-Identifier: Etalab-2.0 | restricted use (see terms and conditions) */\n';
  const css = banner + serialize(nodes) + '\n';
  fs.writeFileSync(CSS_OUT, css);
  checkURLs(css);
}

// Every url() in the bundle must name a file next to it.
function checkURLs(css) {
  const refs = [...css.matchAll(URL_RE)].map(m => m[1] ?? m[2] ?? m[3]);
  if (refs.length === 0) fail('no url() in the bundle: the parser lost them');
  for (const ref of refs) {
    if (!fs.existsSync(path.join(DSFR_OUT, ref))) fail(`dsfr.min.css: unresolved url(${ref})`);
  }
}

// ---------- fonts, favicon, htmx ----------

async function buildFonts() {
  let text = '';
  for (const [a, b] of UNICODE_RANGE) for (let c = a; c <= b; c++) text += String.fromCodePoint(c);
  for (const f of FONTS) {
    const src = fs.readFileSync(path.join(DIST, 'fonts', f.file));
    const out = await subsetFont(src, text, { targetFormat: 'woff2', noHinting: true, keepFeatures: FONT_FEATURES });
    writeOnce(`fonts/${f.file}`, out, f.file);
  }
}

function copyFavicon() {
  for (const f of ['favicon.svg', 'apple-touch-icon.png']) {
    writeOnce(`favicon/${f}`, fs.readFileSync(path.join(DIST, 'favicon', f)), f);
  }
}

function copyHtmx() {
  const dir = path.join(OUT, 'htmx');
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(NODE_MODULES, 'htmx.org', 'dist', 'htmx.min.js'), path.join(dir, 'htmx.min.js'));
}

// ---------- main ----------

// node_modules must hold exactly the pinned versions (npm ci, not a stale install).
function checkVersions() {
  const pins = readJSON(path.join(ROOT, 'package.json')).devDependencies;
  const versions = {};
  for (const name of ['htmx.org', '@gouvfr/dsfr']) {
    const installed = readJSON(path.join(NODE_MODULES, name, 'package.json')).version;
    if (installed !== pins[name]) fail(`${name} ${installed} installed, package.json pins ${pins[name]}: run npm ci`);
    versions[name] = installed;
  }
  return versions;
}

function listFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter(d => d.isFile())
    .map(d => path.join(d.parentPath ?? d.path, d.name))
    .sort();
}

function printSizes() {
  const kb = n => (n / 1024).toFixed(1).padStart(6);
  const rows = [...listFiles(OUT), path.join(STATIC, 'css', 'app.css'), path.join(STATIC, 'js', 'app.js')];
  console.log(`${'file (assets/static/)'.padEnd(46)}   raw KB   gzip KB  brotli KB`);
  for (const file of rows) {
    const data = fs.readFileSync(file);
    const compressible = !/\.(woff2|png)$/.test(file);
    const gz = compressible ? zlib.gzipSync(data, { level: 9 }).length : data.length;
    const br = compressible ? zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length : data.length;
    console.log(`${path.relative(STATIC, file).padEnd(46)} ${kb(data.length)}    ${kb(gz)}     ${kb(br)}`);
  }
}

async function main() {
  const versions = checkVersions();
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(DSFR_OUT, { recursive: true });
  copyHtmx();
  await buildFonts();
  buildCSS(versions['@gouvfr/dsfr']);
  copyFavicon();
  printSizes();
}

main().catch(err => {
  console.error(`assets: ${err.message}`);
  process.exit(1);
});
