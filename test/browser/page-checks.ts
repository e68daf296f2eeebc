/**
 * What every page a person meets is held to in the browser tests (issue #15): axe-core finds no
 * serious or critical WCAG 2.1 A/AA violation, every control has an accessible name, and nothing
 * is wider than the screen, at a desktop (1280 px) and a phone (390 px) width. With
 * GATEHOUSE_SCREENSHOTS=1 each check also writes the screenshot docs/console.md shows.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'docs', 'console');

export const WIDTHS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's WCAG 2.1 A/AA rules on the page as it is now: the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE_SOURCE });
  const found = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run(context: unknown, options: unknown): Promise<{ violations: unknown[] }> };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations;
  });
  return (found as AxeViolation[])
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    );
}

/** Controls (buttons, links, fields) without an accessible name, by their outer HTML. */
async function unnamedControls(page: Page): Promise<string[]> {
  const unnamed: string[] = [];
  for (const role of ['button', 'link', 'textbox'] as const) {
    for (const control of await page.getByRole(role).all()) {
      const name = await control.evaluate((element) => {
        const labelled = (element as HTMLInputElement).labels?.[0]?.textContent ?? '';
        return (element.getAttribute('aria-label') ?? labelled ?? '') || (element.textContent ?? '');
      });
      if (name.trim() === '') unnamed.push(await control.evaluate((element) => element.outerHTML));
    }
  }
  return unnamed;
}

/**
 * The page at each width: no serious or critical axe violation, every control named, no sideways
 * scrolling; and its screenshot `docs/console/<name>-<desktop|phone>.png` when asked for.
 */
export async function checkPageAtEveryWidth(page: Page, name: string): Promise<void> {
  for (const size of WIDTHS) {
    await page.setViewportSize({ width: size.width, height: size.height });
    assert.deepEqual(await seriousViolations(page), [], `${name} at ${size.width} px`);
    assert.deepEqual(await unnamedControls(page), [], `${name} at ${size.width} px: controls without a name`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name} at ${size.width} px is ${overflow} px wider than the screen`);
    if (process.env.GATEHOUSE_SCREENSHOTS === '1') {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, `${name}-${size.name}.png`), fullPage: true });
    }
  }
}
