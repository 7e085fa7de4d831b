// Progressive enhancement of the reporter's pages. Every page works without this script; with
// it, the report, its files and later messages are sealed on the phone, the follow-up token is
// made and stretched on the phone, and only the lookup key and the reply recipient leave it.
// Replies are opened on the phone. Nothing is kept: no storage, no cookies.

import * as core from "./core.js";

const $ = (selector, root = document) => root.querySelector(selector);
const strings = (el) => JSON.parse(el.dataset.strings || "{}");
const today = () => new Date().toISOString().slice(0, 10);

import { leaving, leaveQuietly } from "./exit.js";

// Everything sealing needs: without it (old browsers, pages not served over HTTPS) the forms
// are left alone and post to the server, which seals them.
const capable =
  window.isSecureContext &&
  typeof TransformStream === "function" &&
  typeof ReadableStream === "function" &&
  typeof BigInt === "function" &&
  !!window.crypto?.getRandomValues &&
  !!window.crypto?.subtle;

leaveQuietly();
if (capable) {
  document.documentElement.classList.add("js");
  const report = $("#report");
  if (report) reportForm(report);
  const status = $("#status");
  if (status) statusForm(status);
}
const submitted = $("#submitted");
if (submitted) keepToken(submitted, strings(submitted));

class Refused extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/**
 * A request whose outcome is unknown: the connection failed, or the server could not say
 * (5xx, a timeout, too many requests). What it sent may have arrived: it is sent again as it
 * is, never made anew, since the server files the same report only once.
 */
class Unconfirmed extends Refused {}

/** A JSON request; throws `Refused` for a definite refusal, `Unconfirmed` when unknown. */
async function request(path, init) {
  let response;
  try {
    response = await fetch(path, { cache: "no-store", credentials: "omit", ...init });
  } catch {
    throw new Unconfirmed("network", "network");
  }
  const answer = await response.json().catch(() => ({}));
  if (response.status >= 500 || response.status === 408 || response.status === 429) {
    throw new Unconfirmed(answer.error?.code, answer.error?.message);
  }
  if (!response.ok) throw new Refused(answer.error?.code, answer.error?.message);
  return answer;
}

const api = (path, body) =>
  request(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/**
 * The keyring, checked against the organisation key the page pins (`data-organisation-key`)
 * and no older than the keyring the page was made from (`data-keyring-serial`). The script
 * keeps nothing between visits (a shared phone must not remember the site), so the page is
 * its only memory of the serial.
 * A keyring that fails the check stops everything: handing the form to the server's sealing
 * instead would trust the same server that sent it.
 */
async function keyring(form) {
  let response;
  try {
    response = await fetch("/api/v1/keyring", { cache: "no-store", credentials: "omit" });
  } catch {
    throw new Unconfirmed("keyring", "keyring");
  }
  if (!response.ok) throw new Unconfirmed("keyring", "keyring");
  const ring = await response.json();
  const pin = form.dataset.organisationKey;
  // Only a demo runs without a pinned key.
  if (!pin) return ring;
  try {
    return core.verifyKeyring(ring, pin, Number(form.dataset.keyringSerial) || 0);
  } catch {
    throw new Refused("keyring_unverified", "keyring");
  }
}

/**
 * A file as it will be sealed: photos without what the camera wrote, told by their bytes;
 * other images the browser can draw are re-drawn (which keeps only the pixels); a cleaned
 * image is renamed, since phone file names tell the time a photo was taken.
 */
async function cleaned(file, n) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const stripped = core.stripMetadata(bytes);
  if (stripped) {
    const ext = { 0xff: "jpg", 0x89: "png", 0x52: "webp" }[bytes[0]] || "img";
    bytes.fill(0);
    return { bytes: stripped, name: `photo-${n}.${ext}`, type: file.type };
  }
  if (file.type.startsWith("image/")) {
    try {
      const bitmap = await createImageBitmap(file);
      const canvas = document.createElement("canvas");
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
      canvas.getContext("2d").drawImage(bitmap, 0, 0);
      const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", 0.92));
      bytes.fill(0);
      return { bytes: new Uint8Array(await blob.arrayBuffer()), name: `photo-${n}.jpg`, type: "image/jpeg" };
    } catch {
      // Not drawable here (HEIC in most browsers): sent as it is, like other files.
    }
  }
  return { bytes, name: file.name, type: file.type };
}

/** Seals each chosen file on the phone and uploads it. */
async function sealFiles(input, recipients) {
  const ids = [];
  let n = 0;
  for (const file of input?.files || []) {
    const clean = await cleaned(file, ++n);
    const plain = core.attachmentPlaintext(clean.bytes, clean.name, clean.type);
    clean.bytes.fill(0);
    const sealed = await core.seal(plain, recipients);
    plain.fill(0);
    const response = await fetch("/api/v1/uploads", {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: sealed,
      cache: "no-store",
      credentials: "omit",
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Refused(answer.error?.code, answer.error?.message);
    ids.push(answer.upload);
  }
  return ids;
}

/** The report as the server would write it from the form (src/intake/mod.rs, report_document). */
function reportDocument(form, attachments) {
  const data = new FormData(form);
  const value = (name) => String(data.get(name) || "");
  const only = (object) =>
    Object.fromEntries(Object.entries(object).filter(([, v]) => v !== "" && v !== undefined));
  const ticked = (prefix, names) => names.filter((n) => value(prefix + n) === "yes");
  return only({
        format: "confide-report/2",
    entity: value("entity"),
    submitted_on: today(),
    channel: "browser (sealed on the phone)",
    reporter: value("reporter"),
    description: value("description"),
    when: only({ known: value("when_known"), date: value("when_date"), words: value("when") }),
    place: value("place"),
    perpetrator: only({
      category: value("perpetrator_category"),
      nationality: value("perpetrator_nationality"),
      unit: value("perpetrator_unit"),
      description: value("perpetrator_description"),
    }),
    child_involved: value("child_involved"),
    safe_now: value("safe_now"),
    needs: ticked("need_", ["medical", "psychosocial", "shelter", "legal"]),
    contact: only({ allowed: value("contact"), how: value("contact_how") }),
    share_with: ticked("share_", ["assistance", "investigators", "member_state"]),
    attachments,
  });
}

/**
 * Sends a report. When the server is busy it asks for work: the page asks first whether it is
 * (so that a report is not uploaded twice on a slow line), does the work, then sends; a server
 * that became busy meanwhile is answered the same way.
 */
async function sendReport(body, busy) {
  const work = () => request("/api/v1/challenge", {});
  const solved = async (c) => ({ challenge: c.challenge, nonce: await core.solve(core.b64.decode(c.challenge), c.bits) });
  const first = await work();
  if (first.required) {
    busy();
    return api("/api/v1/reports", { ...body, pow: await solved(first) });
  }
  try {
    return await api("/api/v1/reports", body);
  } catch (error) {
    if (error.code !== "pow_required") throw error;
    busy();
    return api("/api/v1/reports", { ...body, pow: await solved(await work()) });
  }
}

/**
 * Sends a report, and again as it is, twice, when the answer is lost (a train through a
 * tunnel, a cell that drops): the server files it once however often it arrives.
 */
async function sendReliably(body, busy, retrying) {
  for (const wait of [2000, 5000, null]) {
    try {
      return await sendReport(body, busy);
    } catch (error) {
      if (!(error instanceof Unconfirmed) || wait === null) throw error;
      retrying();
      await new Promise((done) => setTimeout(done, wait));
    }
  }
}

/** The words for a refusal: the server's code in the page's language, else a plain failure. */
const said = (s, error) => s[`error-${error.code}`] || s["js-failed"];

function reportForm(form) {
  const s = strings(form);
  const progress = $("#progress", form);
  // The report as sealed and its token, from the first press until the server answers it:
  // a later press sends these again rather than a new report with a new number. Once a send
  // went unconfirmed it may have been filed, so the number is never let go of after that.
  let pending = null;
  let uncertain = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("button[type=submit]", form);
    if (button.disabled) return;
    button.setAttribute("aria-disabled", "true");
    button.disabled = true;
    // Until something reaches the server, a failure here (a browser short of memory, say)
    // hands the form to the server's own sealing instead.
    let reached = pending !== null;
    try {
      if (!pending) {
        const ring = await keyring(form);
        const entity = ring.entities.find((e) => e.id === form.elements.entity.value);
        if (!entity) throw new Refused("unknown_entity", "entity");
        progress.textContent = s["js-stretching"];
        const token = core.generateToken();
        const key = await core.stretch(token, ring.token);
        progress.textContent = s["js-sealing"];
        reached = true;
        const attachments = await sealFiles(form.elements.files, entity.recipients);
        const plain = core.paddedDocument(reportDocument(form, attachments.length));
        const envelope = await core.seal(plain, entity.recipients);
        plain.fill(0);
        pending = {
          token,
          body: {
            entity: entity.id,
            envelope: core.b64.encode(envelope),
            lookup: core.b64.encode(key.lookup),
            reply_recipient: key.recipient,
            attachments,
          },
        };
      }
      progress.textContent = s["js-sending"];
      await sendReliably(
        pending.body,
        () => (progress.textContent = s["js-busy"]),
        () => (progress.textContent = s["js-retrying"]),
      );
      const token = pending.token;
      pending = null;
      uncertain = false;
      form.reset();
      const main = $("#main");
      main.replaceChildren($("#t-submitted").content.cloneNode(true));
      // Following the language switcher would lose the number, shown only here.
      $(".langs")?.remove();
      $("#token", main).textContent = core.displayToken(token);
      keepToken(main, s);
      $("h1", main).setAttribute("tabindex", "-1");
      $("h1", main).focus();
    } catch (error) {
      if (!reached && (!(error instanceof Refused) || error instanceof Unconfirmed)) {
        // The phone could not seal (no keyring, short of memory): the survivor chooses, before
        // anything leaves, between trying again and the server's sealing, which keeps what
        // the camera wrote in photos.
        offerServerSealing(form, progress, s);
        button.disabled = false;
        button.removeAttribute("aria-disabled");
        return;
      }
      if (pending && (error instanceof Unconfirmed || uncertain)) {
        // It may have arrived: the survivor keeps the number it would be found by, and the
        // next press sends the same report again. What is written is locked meanwhile, since
        // what is sent is the report as it was sealed.
        uncertain = true;
        const number = document.createElement("strong");
        number.id = "pending-token";
        number.textContent = core.displayToken(pending.token);
        const refused = error instanceof Unconfirmed ? "" : ` ${said(s, error)}`;
        progress.replaceChildren(`${s["js-unconfirmed"]} `, number, refused);
        for (const field of form.querySelectorAll("input, textarea, select")) {
          if (field.type !== "hidden") field.disabled = true;
        }
      } else {
        // Refused for a reason of its own (too large, say): nothing was filed, and the
        // corrected form is a new report.
        pending = null;
        progress.textContent = said(s, error);
      }
      button.disabled = false;
      button.removeAttribute("aria-disabled");
    }
  });
}

/** "Nothing has been sent yet": try again, or send the form to be sealed by the server. */
function offerServerSealing(form, progress, s) {
  const again = document.createElement("button");
  again.type = "button";
  again.id = "try-again";
  again.textContent = s["js-try-again"];
  again.addEventListener("click", () => {
    progress.textContent = "";
    form.requestSubmit();
  });
  const anyway = document.createElement("button");
  anyway.type = "button";
  anyway.id = "send-unlocked";
  anyway.className = "secondary";
  anyway.textContent = s["js-send-unlocked"];
  anyway.addEventListener("click", () => {
    anyway.disabled = true;
    form.submit();
  });
  const said = document.createElement("span");
  said.textContent = s["js-downgrade"];
  progress.replaceChildren(said, " ", again, " ", anyway);
}

/** The token is shown once: ask before leaving until it is marked written down; offer a slip. */
function keepToken(root, s) {
  const written = $("#written", root);
  addEventListener("beforeunload", (event) => {
    // Quick exit never waits on a question.
    if (written?.checked || leaving()) return;
    event.preventDefault();
    event.returnValue = s["js-leave"] || "";
  });
  $("#print", root)?.addEventListener("click", () => print());
}

function statusForm(form) {
  const s = strings(form);
  // The page's templates, taken before the first drawing replaces the page.
  const templates = { case: $("#t-case"), offer: $("#t-offer"), sent: $("#t-sent") };
  const progress = $("#progress", form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let digits;
    try {
      digits = core.parseToken(form.elements.token.value);
    } catch {
      progress.textContent = s["js-typo"];
      return;
    }
    const button = $("button[type=submit]", form);
    button.disabled = true;
    try {
      progress.textContent = s["js-stretching"];
      const ring = await keyring(form);
      const key = await core.stretch(digits, ring.token);
      form.elements.token.value = "";
      progress.textContent = s["js-checking"];
      const lookup = core.b64.encode(key.lookup);
      const view = await api("/api/v1/status", { lookup });
      await showCase(
        view,
        { lookup, identity: key.identity, trusted: ring.signedRecipients },
        s,
        templates,
      );
    } catch (error) {
            progress.textContent = said(s, error);
      button.disabled = false;
    }
  });
}

/** Draws the case from the status answer; replies are opened here with the reply key. */
async function showCase(view, key, s, templates) {
  const main = $("#main");
  const page = templates.case.content.cloneNode(true);
  const slot = (name) => $(`[data-slot="${name}"]`, page);
  slot("status").textContent = s[`status-${view.status}`] || view.status_text;
  slot("received").textContent = s["case-received-on"].replace("%DATE%", view.received_on);
  if (view.replies.length) slot("replies").replaceChildren();
    for (const reply of view.replies) {
    let text;
    try {
      const opened = await core.open(core.b64.decode(reply.envelope), key.identity);
      try {
        text = JSON.parse(opened).text ?? opened;
      } catch {
        text = opened;
      }
    } catch {
      // One reply that does not open does not hide the others.
      continue;
    }
    const article = document.createElement("article");
    article.className = "reply";
    const day = document.createElement("p");
    day.className = "hint";
    day.textContent = reply.created_on;
    const body = document.createElement("p");
    body.textContent = text;
    article.append(day, body);
    slot("replies").append(article);
  }
  if (view.assistance.length) slot("support").hidden = false;
  for (const offer of view.assistance) {
        const card = templates.offer.content.cloneNode(true);
    $('[data-slot="service"]', card).textContent = s[`service-${offer.service}`];
    $('[data-slot="state"]', card).textContent = s[`referral-${offer.state}`];
    for (const button of card.querySelectorAll("button[data-answer]")) {
      const answer = button.dataset.answer;
      button.hidden = !(answer === "accept" ? offer.may_accept : offer.may_decline);
            button.addEventListener("click", async () => {
        for (const b of button.parentElement.querySelectorAll("button")) b.disabled = true;
        try {
          const next = await api("/api/v1/assistance", { lookup: key.lookup, offer: offer.id, answer });
          await showCase(next, key, s, templates);
        } catch (error) {
          button.parentElement.append(document.createTextNode(` ${said(s, error)}`));
        }
      });
    }
    slot("offers").append(card);
  }
  if (view.status === "closed") {
    slot("add").hidden = true;
    slot("closed").hidden = false;
  }
  const form = slot("message-form");
  // The message as sealed, from the first press until the server answers it: a later press
  // sends it again rather than a second copy (the server adds the same message once).
  let pending = null;
  let uncertain = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const progress = $('[data-slot="progress"]', form);
    const text = form.elements.message.value;
    if (!pending && !text.trim() && !form.elements.files.files.length) return;
    const button = $("button[type=submit]", form);
    if (button?.disabled) return;
    if (button) button.disabled = true;
    try {
      if (!pending) {
        // The case's staff must be people the organisation signed for.
        if (key.trusted && !view.staff_recipients.every((r) => key.trusted.has(r))) {
          throw new Refused("keyring_unverified", "keyring");
        }
        progress.textContent = s["js-sending"];
        const attachments = await sealFiles(form.elements.files, view.staff_recipients);
        const plain = core.paddedDocument({
          format: "confide-message/1",
          written_on: today(),
          text,
          attachments: attachments.length,
        });
        const envelope = await core.seal(plain, view.staff_recipients);
        plain.fill(0);
        pending = { lookup: key.lookup, envelope: core.b64.encode(envelope), attachments };
      }
      progress.textContent = s["js-sending"];
      for (const wait of [2000, 5000, null]) {
        try {
          await api("/api/v1/messages", pending);
          break;
        } catch (error) {
          if (!(error instanceof Unconfirmed) || wait === null) throw error;
          progress.textContent = s["js-retrying"];
          await new Promise((done) => setTimeout(done, wait));
        }
      }
      pending = null;
                  main.replaceChildren(templates.sent.content.cloneNode(true));
      $("h1", main).setAttribute("tabindex", "-1");
      $("h1", main).focus();
    } catch (error) {
      if (pending && (error instanceof Unconfirmed || uncertain)) {
        uncertain = true;
        progress.textContent = s["js-unconfirmed-message"];
        for (const field of form.querySelectorAll("input, textarea")) field.disabled = true;
      } else {
        pending = null;
        progress.textContent = said(s, error);
      }
      if (button) button.disabled = false;
    }
  });
  main.replaceChildren(page);
  // Following the language switcher would lose the case, opened only here.
  $(".langs")?.remove();
  $("h1", main).setAttribute("tabindex", "-1");
  $("h1", main).focus();
}
