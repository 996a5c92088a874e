// Drives the demo page (examples/web/index.html) in headless Chromium:
// creates the group, sends a message each way and checks the other member
// shows the decrypted text, updates keys, reloads bob from IndexedDB and
// talks again; saves a screenshot. With --bench, also runs bench.html and
// prints its figures.
//
// node page_check.mjs --site DIR --tools DIR --screenshot FILE [--bench QUERY]
//   --site        the page with its pkg/ (scripts/test-wasm assembles it)
//   --tools       a directory where playwright-core is installed
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}
for (const need of ['site', 'tools', 'screenshot']) {
  if (!args[need]) throw new Error(`missing --${need}`);
}
const require = createRequire(path.resolve(args.tools, 'package.json'));
const { chromium } = require('playwright-core');

const types = {
  '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.json': 'application/json', '.ts': 'text/plain',
};
const root = path.resolve(args.site);
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const file = path.join(root, path.normalize(decodeURIComponent(url.pathname)));
  const target = file.endsWith(path.sep) ? path.join(file, 'index.html') : file;
  if (!target.startsWith(root) || !fs.existsSync(target) || fs.statSync(target).isDirectory()) {
    res.writeHead(404).end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': types[path.extname(target)] ?? 'application/octet-stream' });
  fs.createReadStream(target).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  await page.goto(`${base}/index.html`);
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('ready'));
  await page.click('#start');
  await page.waitForFunction(() => document.getElementById('status').textContent === 'group ready');

  const say = async (who, text) => {
    await page.fill(`#${who} [data-role=text]`, text);
    await page.click(`#${who} [data-role=send]`);
  };
  const expectIn = async (who, text) => {
    const li = page.locator(`#${who} [data-role=log] li.in`, { hasText: text });
    await li.waitFor({ timeout: 5000 });
  };
  await say('alice', 'Hello Bob, this is end-to-end encrypted.');
  await expectIn('bob', 'alice: Hello Bob, this is end-to-end encrypted.');
  await say('bob', 'Hi Alice, decrypted fine here.');
  await expectIn('alice', 'bob: Hi Alice, decrypted fine here.');
  await page.click('#bob [data-role=update]');
  await page.locator('#alice [data-role=log] li.sys', { hasText: 'now epoch 2' }).waitFor({ timeout: 5000 });
  await page.click('#bob [data-role=reload]');
  await page.waitForFunction(() => document.getElementById('status').textContent === 'bob restored from IndexedDB');
  await say('alice', 'Still there after the reload?');
  await expectIn('bob', 'alice: Still there after the reload?');
  await say('bob', 'Yes, restored from IndexedDB.');
  await expectIn('alice', 'bob: Yes, restored from IndexedDB.');
  const meta = await page.locator('#bob [data-role=meta]').textContent();
  if (!meta.startsWith('epoch 2 ')) throw new Error(`bob's epoch after reload: ${meta}`);
  const status = await page.locator('#status').textContent();
  if (status.startsWith('error')) throw new Error(status);
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  await page.screenshot({ path: args.screenshot, fullPage: true });
  console.log(`page check passed; screenshot ${args.screenshot}`);

  if (args.bench !== undefined) {
    const bench = await browser.newPage();
    bench.setDefaultTimeout(600_000);
    await bench.goto(`${base}/bench.html${args.bench ? `?${args.bench}` : ''}`);
    await bench.waitForFunction(() => window.benchResult !== undefined, null, { timeout: 600_000 });
    const r = await bench.evaluate(() => window.benchResult);
    if (r.error) throw new Error(`bench: ${r.error}`);
    console.log(`Chromium (${r.user_agent.match(/Chrome\/[\d.]+/)?.[0] ?? 'unknown'}), ${r.members} members:`);
    console.log(`  join from Welcome:           median ${r.join_median_ms.toFixed(1)} ms of ${r.joins} joins (${r.join_ms.join(', ')})`);
    console.log(`  message round trip:          median ${r.round_trip_median_ms.toFixed(3)} ms (encrypt + process, ${r.samples} samples of ${r.batch})`);
    console.log(`    of which encrypt:          median ${r.encrypt_median_ms.toFixed(3)} ms`);
    console.log(`  setup commit adding ${r.members - 1}:   ${r.add_all_commit_ms.toFixed(0)} ms`);
  }
} catch (e) {
  failed = true;
  console.error(`page check failed: ${e.message}`);
} finally {
  await browser.close();
  server.close();
}
process.exit(failed ? 1 : 0);
