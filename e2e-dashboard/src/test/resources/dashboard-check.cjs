// Drives the ChatRouter dashboard in chromium with playwright-core; the JUnit test DashboardBrowserTest runs it.
// Arguments come in the environment: PLAYWRIGHT_CORE (the package folder), DASHBOARD_URL, ADMIN_KEY, TARGET,
// READY_FILE (written once the page shows TARGET healthy, so the test starts the failing requests),
// SCREENSHOT, TIMEOUT_MS. Exits 0 when the row of TARGET shows "cooling down" within the timeout.
'use strict';
const fs = require('fs');
const { chromium } = require(process.env.PLAYWRIGHT_CORE);

const url = process.env.DASHBOARD_URL;
const origin = new URL(url).origin;
const target = process.env.TARGET;
const timeout = Number(process.env.TIMEOUT_MS || 20000);

(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], timeout });
  const problems = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(timeout);
    page.on('request', r => { if (!r.url().startsWith(origin)) problems.push('external request: ' + r.url()); });
    let signedIn = false; // before, the login page itself is a 401, which chromium logs as a console error
    page.on('console', m => { if (m.type() === 'error' && signedIn) problems.push('console error: ' + m.text()); });
    page.on('pageerror', e => problems.push('page error: ' + e.message));

    const first = await page.goto(url);
    if (first.status() !== 401) throw new Error('expected the login page (401) first, got ' + first.status());
    await page.fill('input[name=key]', process.env.ADMIN_KEY);
    await Promise.all([page.waitForURL(url), page.click('button[type=submit]')]);
    signedIn = true;

    const state = `#targets tr[data-target="${target}"] .state`;
    await page.waitForFunction(s => { const e = document.querySelector(s); return e && e.textContent === 'healthy'; },
      state, { timeout });
    console.log('seen healthy: ' + target);
    fs.writeFileSync(process.env.READY_FILE, 'healthy\n');

    await page.waitForFunction(s => { const e = document.querySelector(s); return e && e.textContent === 'cooling down'; },
      state, { timeout });
    console.log('seen cooling down: ' + target);
    // one more poll, so that the decisions and the chart show the failed attempts too
    const polls = Number(await page.getAttribute('body', 'data-polls'));
    await page.waitForFunction(n => Number(document.body.getAttribute('data-polls')) > n, polls, { timeout });
    const decisions = await page.locator('#decisions tbody tr').count();
    const dropped = await page.locator('#decisions tbody tr', { hasText: 'cooling_down' }).count();
    const bars = await page.locator('#spend .bar').count();
    const chartBars = await page.locator('#traffic rect.req').count();
    const ready = await page.textContent('#ready');
    console.log(JSON.stringify({ decisions, dropped, bars, chartBars, ready }));
    await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
    if (decisions < 1 || bars < 1 || chartBars < 1) problems.push('the page did not draw decisions, spend bars and the chart');
  } finally {
    await browser.close();
  }
  if (problems.length) {
    console.error(problems.join('\n'));
    process.exit(3);
  }
})().catch(e => { console.error(e && e.stack || String(e)); process.exit(2); });
