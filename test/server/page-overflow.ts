import type { Page } from 'playwright-core';

/**
 * How wide the page is against its viewport, and the first elements sticking out (to name
 * them in a failure): no horizontal scrolling means scroll <= client.
 */
export function measureOverflow(page: Page): Promise<{ scroll: number; client: number; wide: string[] }> {
  return page.evaluate(() => {
    const client = document.documentElement.clientWidth;
    const wide = Array.from(document.querySelectorAll('body *'))
      .filter((e) => e.getBoundingClientRect().right > client + 0.5 && getComputedStyle(e).visibility !== 'hidden')
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className}`);
    return { scroll: document.documentElement.scrollWidth, client, wide };
  });
}

/** The widths the console must fit without horizontal scrolling (issue #16). */
export const CONSOLE_WIDTHS = [360, 390, 768, 1280] as const;
