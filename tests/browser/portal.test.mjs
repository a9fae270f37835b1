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

  // The data dictionary: describe a column and mark the key, on an accessible form.
  await page.click('text=编辑数据字典');
  await page.waitForURL(/\/dataset\/clinic-callbacks\/dictionary\?resource=callbacks$/);
  await assertAccessible(page);
  await page.fill('textarea[name=description] >> nth=2', '本季度电话回访的次数。');
  await page.check('input[name=key][value="联系电话"]');
  await page.click('main button[type=submit]');
  await page.waitForURL(`${base}/dataset/clinic-callbacks?msg=dictionary`);
  assert.match(await count.locator('.description').textContent(), /本季度电话回访的次数/);
  assert.match(await phone.locator('th').textContent(), /主键/);

  // The language choice persists across pages.
  await page.click('text=English');
  await page.goto(`${base}/`);
  assert.match(await page.textContent('h1'), /Data catalog/);
});

async function signIn(context, username) {
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('#username', username);
  await page.fill('#password', `${username}-demo-2026`);
  await page.click('main button[type=submit]');
  await page.waitForURL(`${base}/`);
  return page;
}

test('a citizen applies, department staff approve, and the preview shows the granted columns', async () => {
  const citizenCtx = await browser.newContext();
  const citizen = await signIn(citizenCtx, 'citizen');
  await citizen.goto(`${base}/dataset/outpatient-stats`);
  // Conditional data: no rows yet, and an offer to apply.
  assert.match(await citizen.textContent('#preview'), /无权限查看/);
  assert.equal(await citizen.locator('.preview-table').count(), 0);
  await citizen.click('#preview a.button');
  await citizen.waitForURL(`${base}/dataset/outpatient-stats/apply`);
  const boxes = citizen.locator('input[name=columns]');
  const names = [];
  for (let i = 0; i < await boxes.count(); i++) names.push(await boxes.nth(i).getAttribute('value'));
  assert.ok(names.length >= 3, `columns offered: ${names}`);
  for (let i = 0; i < await boxes.count(); i++) await boxes.nth(i).check();
  await citizen.selectOption('select[name=purpose_category]', 'research');
  await citizen.fill('textarea[name=purpose]', '研究各科室候诊时间');
  await citizen.fill('textarea[name=scenario]', '课题组内部分析');
  await citizen.check('input[name=accept]');
  await citizen.click('button[name=action][value=submit]');
  await citizen.waitForURL(`${base}/access?msg=applied`);
  assert.match(await citizen.textContent('table.applications'), /审核中/);

  const staffCtx = await browser.newContext();
  const staff = await signIn(staffCtx, 'health');
  await staff.goto(`${base}/reviews`);
  const review = staff.locator('section.review', { hasText: '研究各科室候诊时间' });
  assert.equal(await review.count(), 1);
  // Narrow to the first two columns, then approve.
  const reviewBoxes = review.locator('input[name=columns]');
  for (let i = 2; i < await reviewBoxes.count(); i++) await reviewBoxes.nth(i).uncheck();
  await review.locator('textarea[name=note]').fill('同意');
  await review.locator('button[name=decision][value=approve]').click();
  await staff.waitForURL(`${base}/reviews?msg=reviewed`);

  await citizen.goto(`${base}/access`);
  assert.match(await citizen.textContent('table.applications'), /已批准/);
  await citizen.goto(`${base}/dataset/outpatient-stats`);
  const headers = await citizen.locator('.preview-table thead th').allTextContents();
  assert.deepEqual(headers.map(h => h.trim()), names.slice(0, 2));
  assert.ok(await citizen.locator('.preview-table tbody tr').count() > 0);
  assert.match(await citizen.textContent('#preview'), /依据您的授权/);
  await citizenCtx.close();
  await staffCtx.close();
});

test('masked values are marked as masked in the preview', async () => {
  const ctx = await browser.newContext();
  const citizen = await signIn(ctx, 'citizen');
  await citizen.goto(`${base}/dataset/social-insurance-payers`);
  const masked = citizen.locator('.preview-table thead th.masked');
  assert.ok(await masked.count() >= 2);
  assert.match(await masked.first().textContent(), /已脱敏/);
  const mobiles = await citizen.locator('.preview-table thead th[data-column="手机号"]').count();
  assert.equal(mobiles, 1);
  const body = await citizen.textContent('.preview-table tbody');
  assert.match(body, /1\d\d\*\*\*\*\d{4}/);
  assert.doesNotMatch(body, /\b1[3-9]\d{9}\b/);
  await ctx.close();
});

// Checks a page against WCAG 2.1 A and AA with axe-core, loaded from node_modules (nothing from
// outside the machine).
const axeSource = new URL('./node_modules/axe-core/axe.min.js', import.meta.url).pathname;
async function assertAccessible(page) {
  await page.addScriptTag({ path: axeSource });
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  const found = result.violations.map(v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).join('; ')})`);
  assert.deepEqual(found, [], `accessibility violations on ${page.url()}`);
}

test('an enterprise user files a demand, the department accepts it, and the board shows it', async () => {
  const entCtx = await browser.newContext();
  const ent = await signIn(entCtx, 'enterprise');
  await ent.goto(`${base}/demands`);
  await assertAccessible(ent);
  // The demo's board: the most supported demand first, an overdue one flagged.
  assert.match(await ent.textContent('main table'), /公交车辆实时到站数据/);
  await ent.goto(`${base}/demands?overdue=true`);
  assert.match(await ent.textContent('main table'), /已逾期/);

  await ent.goto(`${base}/demands/new`);
  await assertAccessible(ent);
  await ent.fill('#title', '各社区卫生服务中心服务人口');
  await ent.fill('#description', '用于规划社区健康管理服务的覆盖范围。');
  await ent.fill('#fields', '服务中心, 街道, 服务人口');
  await ent.selectOption('#purpose_category', 'commercial');
  await ent.selectOption('#department', 'health');
  await ent.click('main form button[type=submit]');
  await ent.waitForURL(/\/demands\/[0-9a-f-]+\?msg=filed$/);
  const demandUrl = ent.url().replace(/\?.*$/, '');
  assert.match(await ent.textContent('main'), /待答复/);
  await assertAccessible(ent);

  // Personal information in a comment is refused with a clear message, and nothing is posted.
  await ent.fill('#body', '联系 13812345678');
  await ent.click('form[action$="/comment"] button');
  assert.match(await ent.textContent('.error'), /个人信息/);
  assert.doesNotMatch(await ent.textContent('#comments-h'), /\(1\)/);

  const staffCtx = await browser.newContext();
  const staff = await signIn(staffCtx, 'health');
  await staff.goto(demandUrl);
  const planned = new Date(Date.now() + 30 * 86400000).toISOString().slice(0, 10);
  await staff.fill('#planned_date', planned);
  await staff.fill('#text', '计划下月开放。');
  await staff.click('button[name=decision][value=accept]');
  await staff.waitForURL(`${demandUrl}?msg=saved`);
  assert.match(await staff.textContent('main dl'), /已受理/);
  await assertAccessible(staff);

  await ent.goto(demandUrl);
  assert.match(await ent.textContent('main dl'), /计划下月开放/);
  assert.match(await ent.textContent('main dl'), new RegExp(planned));

  // The statistics count the accepted demand; the charts load; the plan lists it.
  await ent.goto(`${base}/demands/stats`);
  await assertAccessible(ent);
  assert.match(await ent.textContent('main'), /市卫生健康委员会/);
  const chartsLoaded = await ent.evaluate(() =>
    [...document.querySelectorAll('img.chart')].map(i => i.complete && i.naturalWidth > 0));
  assert.deepEqual(chartsLoaded, [true, true]);
  await ent.goto(`${base}/demands/plan`);
  await assertAccessible(ent);
  assert.match(await ent.textContent('main'), /各社区卫生服务中心服务人口/);

  // "My activity" shows the demand with the department's answer.
  await ent.click('nav a[href="/activity"]');
  await ent.waitForURL(`${base}/activity`);
  await assertAccessible(ent);
  assert.match(await ent.textContent('main'), /各社区卫生服务中心服务人口/);
  assert.match(await ent.textContent('main'), /计划下月开放/);
  await entCtx.close();
  await staffCtx.close();
});

test('an enterprise user comments on a draft article; the department answers; my activity shows the answer', async () => {
  const entCtx = await browser.newContext();
  const ent = await signIn(entCtx, 'enterprise');
  await ent.click('nav a[href="/consultations"]');
  await ent.waitForURL(`${base}/consultations`);
  await assertAccessible(ent);
  // An overdue consultation is flagged in the list.
  assert.match(await ent.textContent('main table'), /反馈已逾期/);
  await ent.click('text=交通运输公共数据开放管理细则（征求意见稿）');
  await ent.waitForURL(/\/consultations\/[0-9a-f-]+$/);
  const draftUrl = ent.url();
  await assertAccessible(ent);
  await ent.selectOption('#article', '3');
  await ent.check('form[action$="/comment"] input[name=stance][value=oppose]');
  await ent.fill('#body', '有条件开放的审核应当公开审核标准。');
  await ent.click('form[action$="/comment"] button[type=submit]');
  await ent.waitForURL(/\?msg=saved/);
  assert.match(await ent.textContent('#article-3'), /有条件开放的审核应当公开审核标准/);
  // The author edits the comment before the close.
  await ent.click('#article-3 details.edit-comment summary');
  await ent.fill('#article-3 details.edit-comment textarea', '有条件开放的审核应当公开审核标准和时限。');
  await ent.click('#article-3 details.edit-comment button[type=submit]');
  await ent.waitForURL(/\?msg=saved/);
  assert.match(await ent.textContent('#article-3'), /公开审核标准和时限/);
  await assertAccessible(ent);
  // Personal information is refused with a clear message and nothing is posted.
  await ent.fill('#body', '请联系 13812345678');
  await ent.click('form[action$="/comment"] button[type=submit]');
  assert.match(await ent.textContent('.error'), /个人信息/);
  await assertAccessible(ent);

  // The transport bureau answers the enterprise's comment on the closed consultation.
  const staffCtx = await browser.newContext();
  const staff = await signIn(staffCtx, 'transport');
  await staff.goto(`${base}/consultations`);
  await staff.click('text=网络预约出租汽车数据报送规定（征求意见稿）');
  await staff.waitForURL(/\/consultations\/[0-9a-f-]+$/);
  await assertAccessible(staff);
  await staff.selectOption('form.answer-form select', 'partly');
  await staff.fill('form.answer-form textarea', '订单数据改为每小时汇总报送。');
  await staff.click('form.answer-form button[type=submit]');
  await staff.waitForURL(/\?msg=saved/);
  assert.match(await staff.textContent('main'), /订单数据改为每小时汇总报送/);
  // Every comment now has an answer, so the result can be published.
  await staff.fill('#result-summary', '采纳部分意见，报送频次调整为每小时。');
  await staff.click('form[action$="/result"] button[type=submit]');
  await staff.waitForURL(/\?msg=saved/);
  assert.match(await staff.textContent('main'), /已公布结果/);
  await assertAccessible(staff);

  // The enterprise sees the answer on "my activity", with its new comment.
  await ent.goto(`${base}/activity`);
  await assertAccessible(ent);
  const activity = await ent.textContent('main');
  assert.match(activity, /订单数据改为每小时汇总报送/);
  assert.match(activity, /有条件开放的审核应当公开审核标准和时限/);
  await ent.goto(draftUrl);
  await entCtx.close();
  await staffCtx.close();
});

test('a visitor reports a problem with a photo; the department accepts and resolves it; the visitor rates it', async () => {
  // A visitor without an account.
  const visitorCtx = await browser.newContext();
  const visitor = await visitorCtx.newPage();
  await visitor.goto(`${base}/feedback`);
  await assertAccessible(visitor);
  // The demo's list: an overdue item is flagged, and the mobile number in a description masked.
  assert.match(await visitor.textContent('main table'), /已逾期/);
  assert.match(await visitor.textContent('main table'), /139\*\*\*\*5678/);
  assert.doesNotMatch(await visitor.textContent('main'), /13912345678/);

  await visitor.click('main a.button[href="/feedback/new"]');
  await assertAccessible(visitor);
  await visitor.click('text=道路破损');
  await visitor.waitForURL(`${base}/feedback/new?service=road-damage`);
  await assertAccessible(visitor);
  // A photo: the smallest valid PNG (1×1 pixel).
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  const photo = join(dir, 'pothole.png');
  writeFileSync(photo, png);
  // Out-of-range coordinates are refused with the form kept.
  await visitor.fill('#description', '天目山路口有一个很深的坑。');
  await visitor.selectOption('#attr-kind', 'pothole');
  await visitor.fill('#lat', '95');
  await visitor.fill('#long', '120.1');
  await visitor.click('main form button[type=submit]');
  assert.match(await visitor.textContent('.error'), /位置无效/);
  assert.equal(await visitor.inputValue('#description'), '天目山路口有一个很深的坑。');
  await visitor.fill('#lat', '30.27');
  await visitor.fill('#address', '杭州市西湖区天目山路');
  await visitor.setInputFiles('#photo-1', photo);
  await visitor.fill('#contact_phone', '13700001111');
  await visitor.click('main form button[type=submit]');
  await visitor.waitForURL(/\/feedback\/[0-9a-f-]+\?key=[0-9a-f]+&msg=submitted$/);
  const privateLink = await visitor.getAttribute('#private-link', 'href');
  const itemUrl = `${base}${privateLink.replace(/\?.*$/, '')}`;
  assert.match(await visitor.textContent('main dl'), /待受理/);
  assert.doesNotMatch(await visitor.textContent('main'), /13700001111/);
  await assertAccessible(visitor);
  const thumbLoaded = await visitor.evaluate(() =>
    [...document.querySelectorAll('main img')].map(i => i.complete && i.naturalWidth > 0));
  assert.deepEqual(thumbLoaded, [true]);

  // The department's staff read the contact (logged) and accept, then resolve it.
  const staffCtx = await browser.newContext();
  const staff = await signIn(staffCtx, 'transport');
  await staff.goto(itemUrl);
  await assertAccessible(staff);
  await staff.click('form[action$="/contact"] button');
  assert.match(await staff.textContent('#contact'), /13700001111/);
  await staff.goto(itemUrl);
  const expected = new Date(Date.now() + 7 * 86400000).toISOString().slice(0, 10);
  await staff.selectOption('#action', 'accept');
  await staff.fill('#expected_date', expected);
  await staff.fill('#note', '已安排养护单位处理。');
  await staff.click('form[action$="/act"] button');
  await staff.waitForURL(`${itemUrl}?msg=done`);
  assert.match(await staff.textContent('main dl'), /已受理/);
  await staff.selectOption('#action', 'resolve');
  await staff.fill('#note', '坑洞已修补。');
  await staff.click('form[action$="/act"] button');
  await staff.waitForURL(`${itemUrl}?msg=done`);
  assert.match(await staff.textContent('main dl'), /已办结/);

  // Through the private link, the visitor rates the answer; the history shows every step.
  await visitor.goto(`${base}${privateLink}`);
  await assertAccessible(visitor);
  await visitor.selectOption('#rating', '5');
  await visitor.click('form[action$="/rate"] button');
  await visitor.waitForURL(/msg=done/);
  assert.match(await visitor.textContent('main dl'), /5 \/ 5/);
  const history = await visitor.textContent('#history');
  for (const step of ['提交', '受理', '办结', '满意度评价']) assert.match(history, new RegExp(step));

  // The statistics count it, with both charts.
  await visitor.goto(`${base}/feedback/stats`);
  await assertAccessible(visitor);
  assert.match(await visitor.textContent('main'), /道路破损/);
  const chartsLoaded = await visitor.evaluate(() =>
    [...document.querySelectorAll('img.chart')].map(i => i.complete && i.naturalWidth > 0));
  assert.deepEqual(chartsLoaded, [true, true]);

  // The authority's page of categories.
  const adminCtx = await browser.newContext();
  const admin = await signIn(adminCtx, 'admin');
  await admin.goto(`${base}/feedback/services`);
  await assertAccessible(admin);
  assert.match(await admin.textContent('main table'), /road-damage/);
  await visitorCtx.close();
  await staffCtx.close();
  await adminCtx.close();
});

test('a signed-in citizen reports a problem; its answer and rating earn points; the points buy a reward', async () => {
  const citizenCtx = await browser.newContext();
  const citizen = await signIn(citizenCtx, 'citizen');
  await citizen.goto(`${base}/points`);
  await assertAccessible(citizen);
  const before = Number(await citizen.textContent('#spendable'));
  const redeemedBefore = await citizen.locator('#redemptions tbody tr').count();

  await citizen.goto(`${base}/feedback/new?service=road-damage`);
  await citizen.fill('#description', '保俶路人行道地砖松动。');
  await citizen.selectOption('#attr-kind', 'crack');
  await citizen.fill('#lat', '30.27');
  await citizen.fill('#long', '120.15');
  await citizen.click('main form button[type=submit]');
  await citizen.waitForURL(/\/feedback\/[0-9a-f-]+\?key=[0-9a-f]+&msg=submitted$/);
  const itemUrl = citizen.url().replace(/\?.*$/, '');

  const staffCtx = await browser.newContext();
  const staff = await signIn(staffCtx, 'transport');
  await staff.goto(itemUrl);
  const expected = new Date(Date.now() + 7 * 86400000).toISOString().slice(0, 10);
  await staff.selectOption('#action', 'accept');
  await staff.fill('#expected_date', expected);
  await staff.click('form[action$="/act"] button');
  await staff.waitForURL(`${itemUrl}?msg=done`);
  await staff.selectOption('#action', 'resolve');
  await staff.fill('#note', '地砖已重新铺设。');
  await staff.click('form[action$="/act"] button');
  await staff.waitForURL(`${itemUrl}?msg=done`);

  // Signed in, the submitter rates without the private link; the points arrive.
  await citizen.goto(itemUrl);
  await citizen.selectOption('#rating', '4');
  await citizen.click('form[action$="/rate"] button');
  await citizen.waitForURL(/msg=done/);
  await citizen.goto(`${base}/points`);
  const after = Number(await citizen.textContent('#spendable'));
  assert.ok(after >= before + 13, `points arrived: ${before} → ${after}`);
  const history = await citizen.textContent('#history');
  for (const reason of ['诉求办结', '诉求评价']) assert.match(history, new RegExp(reason));

  // The catalog: a reward out of stock and one not yet open cannot be redeemed; the notebook can.
  await citizen.goto(`${base}/rewards`);
  await assertAccessible(citizen);
  assert.match(await citizen.textContent('#rewards'), /不可兑换/);
  await citizen.click('button[aria-label="兑换 共数定制笔记本"]');
  await citizen.waitForURL(`${base}/points?msg=redeemed`);
  assert.match(await citizen.textContent('.flash'), /兑换成功/);
  assert.equal(Number(await citizen.textContent('#spendable')), after - 10);
  assert.equal(await citizen.locator('#redemptions tbody tr').count(), redeemedBefore + 1);
  assert.match(await citizen.textContent('#redemptions'), /[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}/);
  await assertAccessible(citizen);
  // The per-person limit (2) is reached: a third is refused with the reason, nothing spent.
  await citizen.goto(`${base}/rewards`);
  await citizen.click('button[aria-label="兑换 共数定制笔记本"]');
  assert.match(await citizen.textContent('.error'), /次数已达上限/);

  // The public leaderboard and rules, in English too.
  const visitorCtx = await browser.newContext();
  const visitor = await visitorCtx.newPage();
  await visitor.goto(`${base}/points/leaderboard`);
  await assertAccessible(visitor);
  assert.match(await visitor.textContent('main table'), /热心市民小王/);
  assert.doesNotMatch(await visitor.textContent('main'), /citizen/);
  await visitor.goto(`${base}/lang/en?next=/points/rules`);
  await assertAccessible(visitor);
  assert.match(await visitor.textContent('main table'), /Feedback resolved/);
  // Quality and contribution: a dataset's quality section, the leaderboard, the formulas.
  await visitor.goto(`${base}/dataset/qiantang-deliveries`);
  await assertAccessible(visitor);
  assert.equal(await visitor.locator('#quality-history tbody tr').count(), 3);
  await visitor.goto(`${base}/contribution`);
  await assertAccessible(visitor);
  assert.match(await visitor.textContent('#contribution'), /Hangzhou|杭州/);
  for (const path of ['/contribution/formula', '/quality']) {
    await visitor.goto(`${base}${path}`);
    await assertAccessible(visitor);
  }

  // The authority sees the redemptions with their codes and cancels one: the points come back.
  const adminCtx = await browser.newContext();
  const admin = await signIn(adminCtx, 'admin');
  await admin.goto(`${base}/rewards`);
  await assertAccessible(admin);
  await admin.click('#rewards tr:has-text("共数定制笔记本") a[href$="/redemptions"]');
  await assertAccessible(admin);
  await admin.fill('#reason-1', '奖品批次质量问题');
  await admin.click('form[action$="/cancel"] button >> nth=0');
  await admin.waitForURL(/redemptions\?msg=cancelled$/);
  assert.match(await admin.textContent('main table'), /已撤销/);
  await citizen.goto(`${base}/points`);
  assert.equal(Number(await citizen.textContent('#spendable')), after);
  // The authority's form for a new activity, with its task and quiz slots.
  await admin.goto(`${base}/activities`);
  await assertAccessible(admin);
  assert.equal(await admin.locator('select[name="task1_kind"]').count(), 1);
  // A dataset's results: the authority may accept the one still waiting.
  await admin.goto(`${base}/dataset/social-insurance-payers`);
  await assertAccessible(admin);
  assert.equal(await admin.locator('form[action$="/accept"]').count(), 1);

  // Activities: the enterprise user reads the brief and passes the quiz, with radio buttons.
  const entCtx = await browser.newContext();
  const ent = await signIn(entCtx, 'enterprise');
  await ent.goto(`${base}/activities`);
  await assertAccessible(ent);
  await ent.click('text=公共数据开放宣传月');
  await assertAccessible(ent);
  const quiz = ent.locator('form[action$="/attempts"]');
  await quiz.locator('fieldset >> nth=0').locator('input[value="0"]').check();
  await quiz.locator('fieldset >> nth=1').locator('input[value="1"]').check();
  await quiz.locator('fieldset >> nth=2').locator('input[value="1"]').check();
  await quiz.locator('button[type=submit]').click();
  await ent.waitForURL(/msg=passed$/);
  assert.match(await ent.textContent('.flash'), /答题通过/);
  assert.match(await ent.textContent('#task-4'), /已完成/);
  assert.equal(await ent.locator('form[action$="/attempts"]').count(), 0);
  await entCtx.close();
  await citizenCtx.close();
  await staffCtx.close();
  await visitorCtx.close();
  await adminCtx.close();
});

test('a researcher runs a clean-room query; the rules, the apply form and the owner policy form are accessible', async () => {
  const ctx = await browser.newContext();
  const research = await signIn(ctx, 'research');
  await research.goto(`${base}/cleanroom`);
  await assertAccessible(research);
  assert.match(await research.textContent('#cleanroom-rules'), /identifier_use/);
  await research.click('#cleanrooms a');
  await assertAccessible(research);
  await research.click('main form button[type=submit]');
  await research.waitForSelector('#cleanroom-result');
  await assertAccessible(research);
  assert.ok(Number(await research.textContent('#suppressed')) >= 1);
  assert.ok(await research.locator('#cleanroom-result tbody tr').count() >= 10);
  assert.doesNotMatch(await research.textContent('main'), /\d{17}[\dX]/);
  await research.goto(`${base}/cleanroom/apply`);
  await assertAccessible(research);
  await research.goto(`${base}/lang/en?next=/cleanroom`);
  await assertAccessible(research);
  assert.match(await research.textContent('main'), /Differencing/);

  const ownerCtx = await browser.newContext();
  const owner = await signIn(ownerCtx, 'hrss');
  await owner.goto(`${base}/dataset/employment-insurance-wages`);
  await assertAccessible(owner);
  assert.equal(await owner.locator('form[action$="/cleanroom-policy"]').count(), 1);
});
