// An operator's session in the Hawtio console, in Debian's headless Chromium: log in, see Camel's routes, open ilb's
// backends in the JMX view, drain one through its Operations tab, and take a screenshot of the backends.
// Run by ilb.console.ConsoleBrowserTest, which starts ilb and checks afterwards that no request reaches the drained
// backend. Each step waits for what it needs with a deadline; a failed step leaves a screenshot and exits with 1.
//
// Environment: CONSOLE_URL (…/hawtio/), CONSOLE_USER, CONSOLE_PASSWORD, ROUTES (route ids, comma-separated),
// BACKENDS (backend ids), DRAIN (the backend to drain), SCREENSHOT (PNG path), PROFILE (a fresh Chromium profile
// directory), CHROMIUM (default /usr/bin/chromium).
import { env, logIn, session } from './session.mjs';

const consoleUrl = env('CONSOLE_URL');
const routes = env('ROUTES').split(',');
const backends = env('BACKENDS').split(',');
const drain = env('DRAIN');
const screenshot = env('SCREENSHOT');
const { browser, page, step } = await session(env('PROFILE'), screenshot, { width: 2000, height: 900 });

// A node of a Hawtio tree, by the id Hawtio gives it (its path in the tree), and its own label and toggle.
const treeNode = id => page.locator(`li[id="${id}"]`);
const label = node => node.locator(':scope > div .pf-v5-c-tree-view__node-text');
async function expand(node) {
  await node.waitFor();
  if (await node.getAttribute('aria-expanded') !== 'true') {
    await node.locator(':scope > div .pf-v5-c-tree-view__node-toggle').click();
  }
}

await step('the console asks for a login', async () => {
  await page.goto(consoleUrl);
  await page.getByRole('textbox', { name: 'Username' }).waitFor();
});

await step(`logs in as ${env('CONSOLE_USER')}`, async () => {
  await logIn(page, consoleUrl, env('CONSOLE_USER'), env('CONSOLE_PASSWORD'));
});

await step(`the Camel view shows the routes ${routes}`, async () => {
  await page.getByRole('link', { name: 'Camel', exact: true }).click();
  const tree = page.locator('#camel-tree-view');
  for (const route of routes) {
    await tree.getByRole('button', { name: route, exact: true }).last().waitFor();
  }
});

const backendsFolder = treeNode('ilb-folder-Backend-folder');
const drained = treeNode(`ilb-folder-Backend-folder-${drain}`);
const content = page.locator('#jmx-content');

await step(`the JMX view shows the backends ${backends} under ilb > Backend`, async () => {
  await page.getByRole('link', { name: 'JMX', exact: true }).click();
  await expand(treeNode('ilb-folder'));
  await expand(backendsFolder);
  for (const backend of backends) {
    await label(treeNode(`ilb-folder-Backend-folder-${backend}`)).waitFor();
  }
});

await step(`backend ${drain} shows its state, in-flight, breaker, weight, tier and health`, async () => {
  await label(drained).click();
  await content.getByText(`ilb:type=Backend,name=${drain}`, { exact: true }).waitFor();
  for (const attribute of ['State', 'InFlight', 'Capacity', 'Breaker', 'Weight', 'Tier', 'Health', 'Drained']) {
    await content.getByRole('gridcell', { name: attribute, exact: true }).waitFor();
  }
  await content.getByRole('gridcell', { name: 'AVAILABLE', exact: true }).waitFor();
});

await step(`drains ${drain} from its Operations tab`, async () => {
  await content.getByText('Operations', { exact: true }).click();
  const operation = content.locator('li.pf-v5-c-data-list__item')
    .filter({ has: page.locator('b', { hasText: /^drain\(\)$/ }) });
  await operation.getByRole('button', { name: 'Details' }).click();
  await operation.getByRole('button', { name: 'Execute' }).click();
  await operation.locator('section[id="operation-result-drain()"]').getByText('Result').waitFor();
});

await step(`backend ${drain} shows it is drained`, async () => {
  await content.getByText('Attributes', { exact: true }).click();
  const row = attribute => content.getByRole('row').filter({ has: page.getByRole('gridcell', { name: attribute, exact: true }) });
  await row('Drained').getByRole('gridcell', { name: 'true', exact: true }).waitFor();
});

await step(`the backends table shows ${backends} with their attributes`, async () => {
  await label(backendsFolder).click();
  await content.getByRole('heading', { name: 'Backend' }).waitFor();
  await content.getByRole('columnheader', { name: 'Health' }).waitFor();
  await content.getByRole('columnheader', { name: 'Name' }).waitFor();
  for (const backend of backends) {
    // Hawtio shows strings quoted
    await content.getByRole('gridcell', { name: `"${backend}"`, exact: true }).waitFor();
  }
  await page.waitForFunction(count => document.querySelectorAll('#jmx-content tbody tr').length === count, backends.length);
  await page.screenshot({ path: screenshot });
});

await browser.close();
