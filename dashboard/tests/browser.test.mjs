// The dashboard in a real browser against a real gateway (started, with an
// app pushed, by tests/e2e/dashboard_browser.sh). The steps share one
// logged-in page and run in order; every wait has a deadline.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  appAnswer, env, eventually, within, figure, gatewaySsh, laptop, launchBrowser, loginLink, phone, pushInBackground, screenshot,
} from './support.mjs';

const DASH = env('DASH_URL');
const APP = env('APP');
const envPage = `${DASH}/#/apps/${APP}/production`;
const configPage = `${envPage}/config`;

describe('dashboard in a browser', { concurrency: false }, () => {
  let browser;
  let context;
  let page;
  let firstLink;

  before(async () => {
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: laptop });
    page = await context.newPage();
    // What went wrong in the page shows in the test's output.
    page.on('console', (message) => message.type() === 'error' && console.log(`  page console: ${message.text()}`));
    page.on('pageerror', (error) => console.log(`  page error: ${error.message}`));
    page.on('response', (response) => response.status() >= 400 && console.log(`  page got ${response.status()} for ${response.request().method()} ${response.url()}`));
  });
  after(async () => {
    await browser?.close();
  });

  test('without a session the page asks to log in with ssh', async () => {
    const stranger = await browser.newContext();
    const strangerPage = await stranger.newPage();
    await strangerPage.goto(`${DASH}/`);
    await strangerPage.locator('[data-problem=login]').waitFor({ timeout: 10_000 });
    const status = await strangerPage.evaluate(async () => (await fetch('/api/v1/apps')).status);
    assert.equal(status, 401);
    await stranger.close();
  });

  test('the link from `ssh ... dashboard` logs in and lists the pushed app', async () => {
    firstLink = await loginLink('SSH_ADMIN');
    const response = await page.goto(firstLink);
    assert.equal(new URL(page.url()).pathname, '/', `the login redirects to / (now at ${page.url()}, status ${response?.status()})`);
    const row = page.locator(`tr[data-env="${APP}/production"]`);
    await row.or(page.locator('[data-problem]')).first().waitFor({ timeout: 10_000 });
    assert.ok(await row.isVisible(), `the apps list shows ${APP} production; the page shows: ${await page.locator('main').innerText()}`);
    assert.match(await row.innerText(), /v2/);
    assert.equal(await row.locator('[data-health]').getAttribute('data-health'), 'healthy', `health in: ${await row.innerText()}`);
    assert.match(await row.innerText(), /healthy 1\/1/);
    assert.match(await row.innerText(), /\d+(\.\d)? [kMG]B/, 'the image size, humanised');
    assert.match(await page.locator('#whoami').innerText(), /e2e-client/);
  });

  test('a login link works once', async () => {
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    const response = await otherPage.goto(firstLink);
    assert.equal(response.status(), 403, 'a reused link is refused');
    assert.match(await otherPage.content(), /refused/i);
    const status = await otherPage.evaluate(async () => (await fetch('/api/v1/session')).status);
    assert.equal(status, 401, 'and gives no session');
    await other.close();
  });

  test('screenshots of the apps list', async () => {
    await screenshot(page, 'apps-laptop');
    await page.setViewportSize(phone);
    await screenshot(page, 'apps-phone');
    await page.setViewportSize(laptop);
  });

  test('an environment page loads quickly', async () => {
    const times = [];
    for (let i = 0; i < 3; i++) {
      await page.goto('about:blank');
      const started = Date.now();
      await page.goto(envPage);
      await page.locator(`main[data-loaded="${APP}/production"]`).waitFor({ timeout: 10_000 });
      times.push(Date.now() - started);
    }
    times.sort((a, b) => a - b);
    // Where the time goes: the slowest API call of the last load.
    const [slowest] = await page.evaluate(() => performance.getEntriesByType('resource')
      .filter((entry) => entry.name.includes('/api/v1/') && !entry.name.includes('/logs'))
      .map((entry) => ({ path: new URL(entry.name).pathname.replace(/.*\/environments\/[^/]+/, '…'), ms: Math.round(entry.duration) }))
      .sort((a, b) => b.ms - a.ms));
    figure(`environment page load (navigation to every section filled, 3 loads): median ${times[1]} ms, max ${times[2]} ms; slowest API call ${slowest?.path || 'GET …'} ${slowest?.ms} ms`);
    assert.ok(times[1] < 5000, `an environment page took ${times[1]} ms to load`);
    await page.locator('[data-live="v2"]').waitFor({ timeout: 5000 });
  });

  test('app log lines appear live', async () => {
    const pane = page.locator('pre[data-log="app logs"]');
    await pane.waitFor({ timeout: 10_000 });
    // Note when each new line reaches the page; the app printed its own clock in it.
    const since = await page.evaluate(() => {
      window.ticks = [];
      const pre = document.querySelector('pre[data-log="app logs"]');
      new MutationObserver((records) => {
        const seen = Date.now();
        for (const record of records) {
          for (const node of record.addedNodes) {
            const found = /web\.\d+: tick (\d+)/.exec(node.textContent ?? '');
            if (found) window.ticks.push({ printed: Number(BigInt(found[1]) / 1000000n), seen });
          }
        }
      }).observe(pre, { childList: true });
      return Date.now();
    });
    await page.waitForFunction((t0) => window.ticks.filter((t) => t.printed > t0).length >= 10, since, { timeout: 20_000 });
    const latencies = (await page.evaluate((t0) => window.ticks.filter((t) => t.printed > t0).map((t) => t.seen - t.printed), since))
      .sort((a, b) => a - b);
    const median = latencies[Math.floor(latencies.length / 2)];
    const max = latencies[latencies.length - 1];
    figure(`app log line latency (app prints -> shown in the page): ${latencies.length} lines, median ${median} ms, max ${max} ms`);
    assert.ok(max < 3000, `a log line took ${max} ms to reach the page`);
  });

  test('CPU and memory charts are drawn per service', async () => {
    await page.locator('[data-chart="web-cpu"] .uplot').waitFor({ timeout: 20_000 });
    await page.locator('[data-chart="web-memory"] .uplot').waitFor({ timeout: 5000 });
    await page.locator('form[data-form=resize] select[name=service] option[value=web]').waitFor({ state: 'attached', timeout: 5000 });
  });

  test('config vars: masked, revealed one at a time, changed in one release', async () => {
    await page.goto(configPage);
    await page.locator(`main[data-loaded="${APP}/production/config"]`).waitFor({ timeout: 10_000 });
    const color = page.locator('tr[data-var="COLOR"]');
    assert.match(await color.innerText(), /\*\*\*\*\*/, 'the value is masked');
    assert.doesNotMatch(await color.innerText(), /red/);
    await color.locator('button[data-action=reveal]').click();
    await color.locator('.revealed', { hasText: 'red' }).waitFor({ timeout: 5000 });
    await screenshot(page, 'config-laptop');
    await page.setViewportSize(phone);
    await screenshot(page, 'config-phone');
    await page.setViewportSize(laptop);

    // Two changes, one PATCH, one release.
    const form = page.locator('form[data-form=add-var]');
    await form.locator('input[name=name]').fill('COLOR');
    await form.locator('input[name=value]').fill('green');
    await form.locator('button[type=submit]').click();
    await form.locator('input[name=name]').fill('SHAPE');
    await form.locator('input[name=value]').fill('round');
    await form.locator('button[type=submit]').click();
    const patches = [];
    page.on('request', (request) => request.method() === 'PATCH' && patches.push(request.headers()['x-csrf-token']));
    await page.locator('button[data-action=apply]', { hasText: 'Apply 2 changes' }).click();
    const result = page.locator('[data-result]');
    await result.waitFor({ timeout: 90_000 });
    assert.equal(await result.getAttribute('data-result'), 'ok', `the config change failed: ${await result.innerText()}`);
    assert.match(await result.innerText(), /v3/, 'its output names the new release');
    assert.equal(patches.length, 1, 'one PATCH for both changes');
    assert.ok(patches[0], 'the PATCH carries X-CSRF-Token');
    await eventually('the app to answer COLOR=green', 20, async () => (await appAnswer('/env/COLOR')) === 'green');
    assert.equal(await appAnswer('/env/SHAPE'), 'round');
    await page.locator('tr[data-var="SHAPE"]').waitFor({ timeout: 5000 });
  });

  test('a new release appears, and a rollback in the page brings the old value back', async () => {
    await page.goto(envPage);
    const releases = page.locator('table[data-table=releases]');
    await releases.locator('tr[data-version="v3"]', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    await releases.locator('tr[data-version="v2"] button', { hasText: 'Rollback' }).click();
    const dialog = page.locator('dialog.confirm');
    await dialog.waitFor({ timeout: 5000 });
    assert.match(await dialog.innerText(), /migrations .* NOT undone/i, 'the dialog warns that migrations are not undone');
    await dialog.locator('button.danger').click();
    const result = page.locator('#releases [data-result]');
    await result.waitFor({ timeout: 90_000 });
    assert.equal(await result.getAttribute('data-result'), 'ok', `the rollback failed: ${await result.innerText()}`);
    await eventually('the app to answer COLOR=red again', 20, async () => (await appAnswer('/env/COLOR')) === 'red');
    await releases.locator('tr[data-version="v4"]', { hasText: 'live' }).waitFor({ timeout: 10_000 });
  });

  test('a running deploy shows its log lines in the page while `git push` runs', async () => {
    await page.goto(envPage);
    await page.locator(`main[data-loaded="${APP}/production"]`).waitFor({ timeout: 10_000 });
    const push = pushInBackground();
    try {
      const log = page.locator('.deploy-log pre.log');
      await log.filter({ hasText: /slow build step 3 of/ }).waitFor({ timeout: 60_000 });
      assert.ok(push.running(), 'git push is still running when its build lines show');
      assert.equal(await page.locator('.deploy-log .stream-status').innerText(), 'live');
      const { code, output } = await within(120, 'the end of git push', push.done);
      assert.equal(code, 0, `git push failed: ${output}`);
      await log.filter({ hasText: /is live at/ }).waitFor({ timeout: 15_000 });
      await page.locator('.deploy-log .stream-status', { hasText: 'ended' }).waitFor({ timeout: 15_000 });
    } finally {
      if (push.running()) push.child.kill('SIGTERM');
    }
    await page.locator('[data-live="v5"]').waitFor({ timeout: 10_000 });
    const deploys = page.locator('table[data-table=deploys]');
    await eventually('the pushed deploy to show as live', 30, async () =>
      (await deploys.locator('tbody tr').first().getAttribute('data-status')) === 'live')
      .catch(async (error) => assert.fail(`${error.message}; the deploys table shows: ${await deploys.innerText()}`));
    // After the release the page follows the new replica's output.
    await page.waitForFunction((after) => [...(document.querySelector('pre[data-log="app logs"]')?.textContent ?? '')
      .matchAll(/tick (\d+)/g)].some((found) => Number(BigInt(found[1]) / 1000000n) > after), Date.now() + 1000, { timeout: 20_000 });
    // Screenshots with lines in the charts: the new replicas' first samples,
    // then the charts' next poll (every 10 s).
    await eventually('samples of the new release to chart', 30, () => page.evaluate(async (app) => {
      const metrics = await (await fetch(`/api/v1/apps/${app}/environments/production/metrics?since=3600`)).json();
      return metrics.replicas.length > 0 && metrics.replicas.every((replica) => replica.samples.length >= 2);
    }, APP));
    await page.waitForTimeout(10_500);
    await screenshot(page, 'environment-laptop');
    await page.setViewportSize(phone);
    await screenshot(page, 'environment-phone');
    await page.setViewportSize(laptop);
  });

  test('a key limited to staging sees no production', async () => {
    const staging = await browser.newContext({ viewport: laptop });
    const stagingPage = await staging.newPage();
    await stagingPage.goto(await loginLink('SSH_STAGING'));
    await stagingPage.locator(`tr[data-env="${APP}/staging"]`).waitFor({ timeout: 10_000 });
    assert.equal(await stagingPage.locator(`tr[data-env="${APP}/production"]`).count(), 0, 'no production row');
    assert.doesNotMatch(await stagingPage.locator('main').innerText(), /production/);
    const status = await stagingPage.evaluate(
      async (app) => (await fetch(`/api/v1/apps/${app}/environments/production/releases`)).status, APP);
    assert.equal(status, 403, 'the production API answers 403');
    await stagingPage.goto(`${DASH}/#/apps/${APP}/production`);
    await stagingPage.locator('[data-problem=forbidden]').waitFor({ timeout: 10_000 });
    await staging.close();
  });

  test('`ssh ... dashboard:logout-all` ends the session', async () => {
    await gatewaySsh('SSH_ADMIN', 'dashboard:logout-all');
    const status = await page.evaluate(async () => (await fetch('/api/v1/session')).status);
    assert.equal(status, 401);
  });
});
