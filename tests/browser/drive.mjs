// Drives Debian's Chromium for tests/browser.rs. One command per run, given as JSON in argv[2];
// prints one JSON answer on stdout. Chromium starts headless with no background networking, as
// the machine's network is closed.
//
//   node drive.mjs '{"do":"report","base":"https://127.0.0.1:PORT","lang":"en","js":true,...}'

import { chromium } from "playwright-core";
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { createRequire } from "node:module";

const command = JSON.parse(process.argv[2]);
const require = createRequire(import.meta.url);
const PHONE = { width: 360, height: 740 };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
try {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    javaScriptEnabled: command.js !== false,
    viewport: PHONE,
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  const sent = [];
  page.on("request", (r) => sent.push({ url: r.url(), body: r.postData() || "" }));
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const result = await run(page, command, sent);
  console.log(JSON.stringify({ ...result, sent, errors }));
} finally {
  await browser.close();
}

async function run(page, c, sent) {
  const url = (path) => `${c.base}${path}${path.includes("?") ? "&" : "?"}lang=${c.lang || "en"}`;
  switch (c.do) {
        case "report": {
      if (c.cpu) {
        // A low-end phone: the CPU slowed this many times (Chromium's own emulation).
        const cdp = await page.context().newCDPSession(page);
        await cdp.send("Emulation.setCPUThrottlingRate", { rate: c.cpu });
      }
      await page.goto(url("/"));
      await shoot(page, c, "report");
      await page.fill("#description", c.description);
      if (c.place) await page.fill("#place", c.place);
      await page.check('input[name="reporter"][value="witness"]');
      await page.selectOption("#perpetrator_category", "military_contingent");
      await page.check('input[name="need_medical"]');
      if (c.photo) {
        await page.setInputFiles("#files", {
          name: "photo.jpg",
          mimeType: "image/jpeg",
          buffer: Buffer.from(c.photo, "base64"),
        });
      }
            await page.click('#report button[type="submit"]');
      let busyMs = null;
      if (c.busyText) {
        // From the moment the page says it is checking (the work begins) to the number shown.
        await page.waitForFunction((t) => document.getElementById("progress")?.textContent === t, c.busyText, { timeout: 120000, polling: 20 });
        const started = Date.now();
        await page.waitForSelector("#token:not(:empty)", { timeout: 120000 });
        busyMs = Date.now() - started;
      }
      await page.waitForSelector("#token:not(:empty)", { timeout: 120000 });
      const token = (await page.textContent("#token")).trim();
      await shoot(page, c, "submitted");
      const axe = c.axe ? await runAxe(page) : [];
      const text = await page.textContent("main");
      let exit = null;
      if (c.quickExitAfter) {
        // The number is not marked written down, so leaving asks first; quick exit must not.
        const dialogs = [];
        page.on("dialog", (d) => {
          dialogs.push(d.type());
          d.dismiss();
        });
        await page.click("#quick-exit");
        await page.waitForTimeout(1000);
        exit = { dialogs, url: page.url() };
      }
            return { token, axe, text, exit, busyMs };
    }
    case "lost-answers": {
      // Every report the page sends arrives, and every answer is lost on the way back.
      let attempts = 0;
      const lose = async (route) => {
        attempts += 1;
        await route.fetch();
        await route.abort("connectionreset");
      };
      await page.route("**/api/v1/reports", lose);
      await page.goto(url("/"));
      await page.fill("#description", c.description);
      // A double tap.
      await page.dblclick('#report button[type="submit"]');
      await page.waitForSelector("#pending-token", { timeout: 90000 });
      const progress = await page.textContent("#progress");
      const pending = await page.textContent("#pending-token");
      const tries = attempts;
      // The connection comes back; the survivor presses the button again.
      await page.unroute("**/api/v1/reports", lose);
      await page.click('#report button[type="submit"]');
      await page.waitForSelector("#main #token", { timeout: 60000 });
      const switchers = await page.locator(".langs").count();
      return { progress, pending, tries, switchers, number: await page.textContent("#main #token") };
    }
    case "back": {
      // Someone else picks up the phone and presses Back: after quick exit, or after sending.
      await page.goto(url("/"));
      await page.fill("#description", c.description);
      await page.fill("#place", c.description);
      if (c.after === "exit") {
        await page.click("#quick-exit", { noWaitAfter: true });
      } else {
        await page.click('#report button[type="submit"]');
        await page.waitForSelector("#token", { timeout: 60000 });
      }
      await page.waitForTimeout(1500);
      await page.goBack({ timeout: 10000 }).catch(() => {});
      await page.waitForTimeout(1500);
      const read = (selector) => page.locator(selector).inputValue({ timeout: 3000 }).catch(() => null);
      return { url: page.url(), description: await read("#description"), place: await read("#place") };
    }
    case "no-keyring": {
      // The keyring cannot be fetched: the page cannot seal, and says so before sending.
      const kept = async () => page.locator("#files-kept").isVisible();
      await page.route("**/api/v1/keyring", (route) => route.abort("connectionreset"));
      await page.goto(url("/"));
      const keptShown = await kept();
      await page.fill("#description", c.description);
      await page.setInputFiles("#files", { name: "photo.jpg", mimeType: "image/jpeg", buffer: Buffer.from(c.photo, "base64") });
      await page.click('#report button[type="submit"]');
      await page.waitForSelector("#send-unlocked", { timeout: 30000 });
      const offered = await page.textContent("#progress");
      const sentBefore = sent.filter((r) => r.url.includes("/report?") || r.url.includes("/api/v1/reports") || r.url.includes("/api/v1/uploads")).length;
      await page.click("#try-again");
      await page.waitForSelector("#send-unlocked", { timeout: 30000 });
      await page.click("#send-unlocked");
      await page.waitForSelector("#token", { timeout: 60000 });
      return { keptShown, offered, sentBefore, number: await page.textContent("#token") };
    }
    case "targets": {
      // Every control a thumb must hit, on a 360 px phone, in each language: its size, and
      // whether quick exit covers any of the header's links.
      const found = [];
      for (const lang of c.langs) {
        for (const path of ["/", "/status"]) {
          await page.goto(`${c.base}${path}?lang=${lang}`);
          const boxes = await page.evaluate(() => {
            const picked = document.querySelectorAll(
              "#quick-exit, header a, .langs a, .langs strong, button, select, textarea, " +
                "input:not([type=hidden]):not([type=radio]):not([type=checkbox]), label.choice",
            );
            return [...picked]
              .filter((e) => e.getClientRects().length && getComputedStyle(e).visibility !== "hidden")
              .map((e) => {
                const r = e.getBoundingClientRect();
                return { what: e.id || e.tagName.toLowerCase() + ":" + e.textContent.trim().slice(0, 20), x: r.x, y: r.y, w: r.width, h: r.height, header: !!e.closest("header") };
              });
          });
          const exit = boxes.find((b) => b.what === "quick-exit");
          // The description, the one question that matters, starts on the first screen.
          const top = await page.evaluate(() => document.querySelector("#description")?.getBoundingClientRect().top);
          if (path === "/" && !(top < 640)) found.push(`${lang}: the description starts at ${Math.round(top)} px`);
          for (const b of boxes) {
            if (b.w < 44 || b.h < 44) found.push(`${lang} ${path}: ${b.what} is ${Math.round(b.w)}x${Math.round(b.h)}`);
            const apart = b.x + b.w <= exit.x || exit.x + exit.w <= b.x || b.y + b.h <= exit.y || exit.y + exit.h <= b.y;
            if (b.header && !apart) found.push(`${lang} ${path}: quick exit covers ${b.what}`);
          }
        }
      }
      return { found };
    }
    case "exit-blanks": {
      // A finger on quick exit: the page is hidden at once, before the next page arrives.
      await page.goto(url("/"));
      const visibility = () => page.locator("main").evaluate((m) => getComputedStyle(m).visibility);
      const before = await visibility();
      const box = await page.locator("#quick-exit").boundingBox();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      const pressed = await visibility();
      return { before, pressed };
    }
    case "double-tap": {
      // Without JavaScript: the second tap aborts the first request and sends the form again.
      // The first request reaches the server at once; its answer is held back (a slow line),
      // so that the second tap comes while the page still shows the form.
      let first = true;
      await page.route("**/report?*", async (route) => {
        if (!first) return route.continue();
        first = false;
        const response = await route.fetch();
        await new Promise((done) => setTimeout(done, 1500));
        await route.fulfill({ response }).catch(() => {});
      });
      await page.goto(url("/"));
      await page.fill("#description", c.description);
      const button = page.locator('#report button[type="submit"]');
      await button.scrollIntoViewIfNeeded();
      const box = await button.boundingBox();
      const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
      const sent = page.waitForRequest((r) => r.url().includes("/report?"));
      await page.mouse.click(x, y);
      await sent;
      // The second tap, as a finger does it: on the button where it is, while the page waits.
      await page.mouse.click(x, y);
      await page.waitForSelector("#token", { timeout: 60000 });
      return { number: await page.textContent("#token"), text: await page.textContent("main") };
    }
    case "tampered-keyring": {
      // Someone between the page and the keyring (or the server itself) swaps a recipient,
      // or answers with an earlier keyring, validly signed (`c.ring`).
      await page.route("**/api/v1/keyring", async (route) => {
        const response = await route.fetch();
        const ring = c.ring ?? (await response.json());
        if (!c.ring) ring.entities[0].recipients = [c.foreign];
        await route.fulfill({ response, json: ring });
      });
      await page.goto(url("/"));
      await page.fill("#description", c.description);
      await page.click('#report button[type="submit"]');
      await page.waitForFunction((t) => document.getElementById("progress")?.textContent === t, c.expect, { timeout: 60000, polling: 50 });
      const readers = await page.textContent("#report");
      return { progress: await page.textContent("#progress"), readers };
    }
    case "status": {
      await page.goto(url("/status"));
      await shoot(page, c, "status-form");
      const formAxe = c.axe ? await runAxe(page) : [];
      await page.fill("#token", c.token);
      await page.click('#status button[type="submit"], form[action^="/status"] button[type="submit"]');
            // The case's status line exists only once the case is drawn (or the page answered).
      await page.waitForSelector("p.status:not(:empty)", { timeout: 120000 });
      await page.waitForLoadState();
      const title = await page.textContent("h1");
      if (!title.includes(c.caseTitle)) throw new Error(`the case page's title is ${title}`);
      const text = await page.textContent("main");
      await shoot(page, c, "status");
      const axe = c.axe ? [...formAxe, ...(await runAxe(page))] : [];
      let afterMessage = null;
      if (c.message) {
        await page.fill("#message", c.message);
        if (c.file) {
          await page.setInputFiles("#files", {
            name: "note.txt",
            mimeType: "text/plain",
            buffer: Buffer.from(c.file),
          });
        }
        await page.click('form:has(#message) button[type="submit"]');
        await page.waitForSelector("h1 >> text=" + c.sentTitle, { timeout: 120000 });
        afterMessage = await page.textContent("main");
      }
      return { text, axe, afterMessage };
    }
    case "quick-exit": {
      // Report page, then status page, then quick exit: Back must not return to the status page.
      await page.goto(url("/"));
      await page.goto(url("/status"));
      const before = await page.evaluate(() => history.length);
      await Promise.all([
        page.waitForEvent("framenavigated").catch(() => null),
        page.click("#quick-exit"),
      ]);
      await page.waitForTimeout(500);
      await page.goBack().catch(() => null);
      await page.waitForTimeout(300);
      return { before, back: page.url() };
    }
        case "axe": {
      const found = [];
            const reflow = [];
      for (const path of c.paths) {
        await page.goto(url(path));
        found.push(...(await runAxe(page)).map((v) => ({ path, ...v })));
        // 200% zoom on a 360 px phone leaves 180 CSS pixels: nothing may need sideways scrolling.
        for (const width of [320, 180]) {
          await page.setViewportSize({ width, height: 740 });
          const wide = await page.evaluate(() => document.documentElement.scrollWidth);
          if (wide > width) reflow.push({ path, width, scroll_width: wide });
        }
        await page.setViewportSize(PHONE);
                // The report and status pages are shot in their own flows; here the error page.
        if (path.startsWith("/no-such")) await shoot(page, c, "problem");
      }
            return { axe: found, reflow };
    }
    case "weights": {
      const page_ = await fetchText(page, url("/"));
      const css = await fetchText(page, `${c.base}/static/style.css`);
      const js = await fetchText(page, `${c.base}/static/confide.js`);
      const gz = (s) => gzipSync(Buffer.from(s), { level: 9 }).length;
      const scripts = [...page_.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]);
      return {
        report_html: gz(page_),
        style_css: gz(css),
        script_js: gz(js),
        scripts,
                // Resources the page would load from elsewhere (the quick-exit link is a link, not one).
        external: [
          ...page_.matchAll(/<(?:script|link|img|iframe|source|video|audio|object)\b[^>]*(?:src|href)="(?:https?:)?\/\/[^"]*"/g),
        ].map((m) => m[0]),
      };
    }
    case "desk": {
      // A staff desk, driven as its user would: a list of steps in one browser session.
      // Each "check" step runs axe-core on the page and takes its screenshot.
      await page.setViewportSize({ width: 1280, height: 800 });
      const checked = [];
      const texts = {};
      const statuses = [];
      for (const step of c.steps) {
        if (step.goto) {
          const response = await page.goto(step.goto.startsWith("http") ? step.goto : `${c.base}${step.goto}`);
          statuses.push({ goto: step.goto, status: response ? response.status() : 0 });
        }
        if (step.fill) await page.fill(step.fill[0], step.fill[1]);
        if (step.select) await page.selectOption(step.select[0], step.select[1]);
        if (step.tick) await page.check(step.tick);
        if (step.click) {
          const [response] = await Promise.all([
            page.waitForNavigation({ waitUntil: "load" }).catch(() => null),
            page.click(step.click),
          ]);
          statuses.push({ click: step.click, status: response ? response.status() : 0 });
        }
        if (step.check) {
          const found = await axeOn(page);
          checked.push({ page: step.check, url: page.url(), axe: found });
          if (c.screenshots) {
            writeFileSync(`${c.screenshots}/desk-${step.check}.png`, await page.screenshot({ fullPage: true }));
            // And as on a phone, to see that nothing needs sideways scrolling but the inbox table.
            await page.setViewportSize(PHONE);
            writeFileSync(`${c.screenshots}/desk-${step.check}-360.png`, await page.screenshot({ fullPage: true }));
            await page.setViewportSize({ width: 1280, height: 800 });
          }
        }
        if (step.shot && c.screenshots) {
          // A screenshot only: a page under a sandbox policy runs no script, axe included.
          writeFileSync(`${c.screenshots}/desk-${step.shot}.png`, await page.screenshot({ fullPage: true }));
        }
        if (step.text) texts[step.text] = await page.evaluate(() => document.body.innerText);
        if (step.html) texts[step.html] = await page.content();
        if (step.crossSite) {
          // A page of another origin (here an opaque one, a data: page with no policy of its own)
          // posts a form to the desk: the browser sends Origin: null and, the cookie being
          // SameSite=Strict, no session.
          const form = `<form method="post" action="${c.base}${step.crossSite}"><input name="text" value="forged"></form>`;
          await page.goto(`data:text/html,${encodeURIComponent(form)}`);
          const [response] = await Promise.all([
            page.waitForNavigation({ waitUntil: "load" }).catch(() => null),
            page.evaluate(() => document.forms[0].submit()),
          ]);
          statuses.push({ crossSite: step.crossSite, status: response ? response.status() : 0 });
        }
      }
      return { checked, texts, statuses };
    }
    default:
      throw new Error(`unknown command ${c.do}`);
  }
}

async function fetchText(page, address) {
  const response = await page.request.get(address);
  return response.text();
}

/**
 * axe-core's WCAG 2.x A and AA rules on the page as it is; returns the violations. A page shown
 * with JavaScript off is checked as rendered: its HTML, in a second page where scripts may run
 * (axe is a script) but the page's own script is blocked.
 */
async function runAxe(page) {
  if (command.js === false) {
    const html = await page.content();
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: PHONE });
    const copy = await context.newPage();
    await copy.route("**/static/confide.js", (route) => route.abort());
    await copy.goto(`${command.base}/static/style.css`);
    await copy.setContent(html, { waitUntil: "load" });
    const found = await axeOn(copy);
    await context.close();
    return found;
  }
  return axeOn(page);
}

async function axeOn(page) {
  const source = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  // Evaluated through the debugging protocol, which the page's CSP does not govern.
  await page.evaluate(source);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] }),
  );
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 3),
  }));
}

async function shoot(page, c, name) {
  if (!c.screenshots) return;
  const file = `${c.screenshots}/${name}-${c.lang || "en"}${c.js === false ? "-nojs" : ""}.png`;
  writeFileSync(file, await page.screenshot({ fullPage: true }));
}
