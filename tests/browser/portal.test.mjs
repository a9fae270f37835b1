// Department staff sign in, upload a CSV with mobile numbers, and see the proposed grades —
// in Debian's Chromium, with the server started from the built binary on the demo data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { chromium } from 'playwright-core';

const binary = process.env.GONGSHU_BIN ?? new URL('../../target/debug/gongshu', import.meta.url).pathname;
let server, browser, base, dir;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

async function waitReady(url, child) {
  // Bounded by attempts, not by a clock: the demo load takes a variable time.
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try { if ((await fetch(url)).ok) return; } catch { /* not up yet */ }
    await new Promise(r => setTimeout(r, 200));
  }
  throw new Error('server did not become ready');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gongshu-browser-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(binary, ['serve', '--demo', '--data-dir', join(dir, 'data'), '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  await waitReady(`${base}/readyz`, server);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('department staff upload a CSV with phone numbers and see proposed grades', async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  await page.click('text=登录');
  await page.fill('#username', 'health');
  await page.fill('#password', 'health-demo-2026');
  await page.click('main button[type=submit]');
  await page.waitForURL(`${base}/`);
  assert.match(await page.textContent('header'), /卫生健康委/);

  await page.goto(`${base}/publish/new`);
  await page.fill('#name', 'clinic-callbacks');
  await page.fill('#title', '门诊回访登记');
  await page.selectOption('#opening_type', 'unconditional');
  await page.click('main button[type=submit]');
  await page.waitForURL(`${base}/dataset/clinic-callbacks/upload`);

  const csv = join(dir, 'callbacks.csv');
  writeFileSync(csv, '姓名,联系电话,回访次数\n张伟,13812345678,2\n李娜,15900001111,1\n王芳,18600002222,3\n');
  await page.fill('#resource', 'callbacks');
  await page.setInputFiles('#file', csv);
  await page.click('main button[type=submit]');
  await page.waitForURL(`${base}/dataset/clinic-callbacks?msg=saved`);

  const phone = page.locator('tr[data-column="联系电话"]');
  assert.match(await phone.locator('.proposed').textContent(), /L3/);
  assert.match(await phone.locator('.findings').textContent(), /手机号码/);
  const name = page.locator('tr[data-column="姓名"]');
  assert.match(await name.locator('.proposed').textContent(), /L3/);
  const count = page.locator('tr[data-column="回访次数"]');
  assert.match(await count.locator('.proposed').textContent(), /L1/);
  assert.match(await page.textContent('.badges'), /有条件开放/);

  // The language choice persists across pages.
  await page.click('text=English');
  await page.goto(`${base}/`);
  assert.match(await page.textContent('h1'), /Data catalog/);
});
