// An operator's look at ilb's own view in the console, "Inference", in Debian's headless Chromium: log in, open the
// view, see every pool with its backends by tier and the batch intake; then, as an admin, drain a backend with its
// button and see the view say so, or, as a viewer, find no button that changes anything.
// Run by ilb.console.InferenceViewBrowserTest, which starts ilb with the demo's pools and checks afterwards that no
// request reaches the drained backend. Each step waits for what it needs with a deadline; a failed step leaves a
// screenshot and exits with 1.
//
// Environment: CONSOLE_URL (…/hawtio/), CONSOLE_USER, CONSOLE_PASSWORD, POOLS (pool route ids, comma-separated),
// BACKENDS (backend ids), DRAIN (the backend to drain; empty: expect no action buttons at all), CANARY (pool route
// id/model/version/new weight: the canary whose weight to change, with DRAIN), SCREENSHOT (PNG path),
// PROFILE (a fresh Chromium profile directory), CHROMIUM (default /usr/bin/chromium).
import { env, logIn, session } from './session.mjs';

const consoleUrl = env('CONSOLE_URL');
const pools = env('POOLS').split(',');
const backends = env('BACKENDS').split(',');
const drain = env('DRAIN');
const screenshot = env('SCREENSHOT');
const { browser, page, step } = await session(env('PROFILE'), screenshot, { width: 1800, height: 1200 });
// the view must work offline: any request that leaves the console's own origin fails the run
const origin = new URL(consoleUrl).origin;
const elsewhere = [];
page.on('request', request => {
  if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) {
    elsewhere.push(request.url());
  }
});

const view = page.locator('#ilb-inference');
const row = backend => view.locator(`tr[data-backend="${backend}"]`);

await step(`logs in as ${env('CONSOLE_USER')}`, async () => {
  await logIn(page, consoleUrl, env('CONSOLE_USER'), env('CONSOLE_PASSWORD'));
});

await step('the navigation has Inference, and it opens the view', async () => {
  await page.getByRole('link', { name: 'Inference', exact: true }).click();
  await view.getByRole('heading', { name: 'Inference', exact: true }).waitFor();
});

await step(`the view shows the pools ${pools} and the batch intake`, async () => {
  for (const pool of pools) {
    await view.locator(`section[data-pool="${pool}"]`).waitFor();
  }
  await view.locator('[data-batch]').first().waitFor();
});

await step(`the view shows the backends ${backends} by tier, with state, capacity, breaker, health and TTFT`, async () => {
  for (const backend of backends) {
    await row(backend).getByText(/^(AVAILABLE|DRAINED)$/).waitFor();
    await row(backend).getByText('CLOSED', { exact: true }).waitFor();
    await row(backend).locator('svg.ilb-sparkline').first().waitFor();
  }
  for (const header of ['In flight / capacity', 'Breaker', 'Health', 'TTFT p50 / p99', 'Errors (1 min)']) {
    await view.getByRole('columnheader', { name: header, exact: true }).first().waitFor();
  }
  await view.locator('[data-tier="1"]').first().waitFor();
});

if (drain) {
  await step(`drains ${drain} with its button, and the view shows it DRAINED`, async () => {
    await view.getByRole('button', { name: `Drain ${drain}`, exact: true }).click();
    await row(drain).getByText('DRAINED', { exact: true }).waitFor();
    await row(drain).getByRole('button', { name: `Undrain ${drain}`, exact: true }).waitFor();
  });

  const [pool, model, version, weight] = env('CANARY').split('/');
  await step(`sets the canary weight of ${model} version ${version} to ${weight}`, async () => {
    const canary = view.locator(`section[data-pool="${pool}"]`);
    await canary.getByRole('spinbutton', { name: `canary weight of ${model} ${version}`, exact: true }).fill(weight);
    await canary.getByRole('button', { name: `Set canary weight of ${model} ${version}`, exact: true }).click();
    await canary.getByText(`Canary weight ${weight} `).waitFor();
  });
} else {
  await step('a viewer gets no button that changes anything, and is told the view is read only', async () => {
    await view.getByText('read only: your role runs no operations').waitFor();
    const buttons = await view.getByRole('button').count();
    const fields = await view.locator('input').count();
    if (buttons !== 0 || fields !== 0) {
      throw new Error(`${buttons} buttons and ${fields} fields in a viewer's view`);
    }
  });
}

await step('nothing was loaded from outside the console', async () => {
  if (elsewhere.length > 0) {
    throw new Error(`requests elsewhere: ${elsewhere}`);
  }
  await page.screenshot({ path: screenshot, fullPage: true });
});

await browser.close();
