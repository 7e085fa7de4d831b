// The reporter's cryptography, the same as the server's (src/token.rs, src/seal.rs): the
// follow-up token, its Argon2id stretching into a lookup key and a reply key, age sealing with
// the server's padding rule, and removal of photo metadata. Pure functions: no DOM, no network.

import { argon2idAsync } from "@noble/hashes/argon2.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { bech32, base64 } from "@scure/base";
import { Decrypter, Encrypter, identityToRecipient } from "age-encryption";

export const TOKEN_DIGITS = 24;
const RANDOM_DIGITS = 22;
export const MIN_BUCKET = 4096;

/** The decimal number spelled by ASCII digits, modulo 97. */
function mod97(digits) {
  let r = 0;
  for (const d of digits) r = (r * 10 + (d.charCodeAt(0) - 48)) % 97;
  return r;
}

/** A fresh token: 22 uniform random digits and 2 check digits (ISO 7064 MOD 97-10). */
export function generateToken() {
  let digits = "";
  const pool = new Uint8Array(32);
  while (digits.length < RANDOM_DIGITS) {
    crypto.getRandomValues(pool);
    for (const b of pool) {
      // 250 is the largest multiple of 10 under 256: every digit stays uniform.
      if (b < 250 && digits.length < RANDOM_DIGITS) digits += String(b % 10);
    }
    pool.fill(0);
  }
  const check = 98 - ((mod97(digits) * 100) % 97);
  return digits + String(Math.floor(check / 10)) + String(check % 10);
}

// Digits as people type them: ASCII, Arabic-Indic, Extended Arabic-Indic, Devanagari and
// full-width, as the server reads them.
const ZEROS = [0x30, 0x660, 0x6f0, 0x966, 0xff10];
// Separators, the same list as the server's (src/token.rs): spaces of every kind, dashes, dots,
// and the invisible marks that copying from right-to-left messengers inserts.
const SEPARATOR = /[\s\u0085\u200b-\u200f\u061c\u2066-\u2069\ufeff\-._\u2010-\u2015\u2212]/u;

/** Reads a typed token; returns its 24 ASCII digits or throws "character", "length" or "checksum". */
export function parseToken(input) {
  let digits = "";
  for (const c of input) {
    const code = c.codePointAt(0);
    const zero = ZEROS.find((z) => code >= z && code < z + 10);
    if (zero !== undefined) digits += String(code - zero);
    else if (!SEPARATOR.test(c)) throw new Error("character");
  }
  if (digits.length !== TOKEN_DIGITS) throw new Error("length");
  if (mod97(digits) !== 1) throw new Error("checksum");
  return digits;
}

/** The token in six groups of four digits. */
export function displayToken(digits) {
  return digits.match(/.{1,4}/g).join(" ");
}

/** Stretches a token with the server's published parameters: { lookup, identity, recipient }. */
export async function stretch(digits, params, onProgress) {
  const out = await argon2idAsync(new TextEncoder().encode(digits), base64.decode(params.salt), {
    t: params.iterations,
    m: params.memory_kib,
    p: params.parallelism,
    dkLen: params.output_bytes,
    onProgress,
  });
  const lookup = out.slice(0, 32);
  const seed = out.slice(32, 64);
  out.fill(0);
  const identity = bech32.encode("age-secret-key-", bech32.toWords(seed), false).toUpperCase();
  seed.fill(0);
  return { lookup, identity, recipient: await identityToRecipient(identity) };
}

/** The padded length of a plaintext: a power of two, at least 4 KiB. */
export function bucket(length) {
  let size = MIN_BUCKET;
  while (size < length) size *= 2;
  return size;
}

/** A JSON document padded to its bucket with trailing spaces, as the server pads. */
export function paddedDocument(document) {
  const text = new TextEncoder().encode(JSON.stringify(document, null, 2));
  const padded = new Uint8Array(bucket(text.length)).fill(0x20);
  padded.set(text);
  text.fill(0);
  return padded;
}

/** Seals bytes to age recipients (`age1…`). */
export async function seal(bytes, recipients) {
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  return e.encrypt(bytes);
}

/** Opens an envelope with an age identity; returns the text, trailing padding removed. */
export async function open(envelope, identity) {
  const d = new Decrypter();
  d.addIdentity(identity);
  const text = await d.decrypt(envelope, "text");
  return text.replace(/\s+$/u, "");
}

const MAGIC = new TextEncoder().encode("CNFDATT1");

/** A file as the server seals one: content, zeros, metadata JSON, its length (u64 BE), magic. */
export function attachmentPlaintext(content, name, mediaType) {
  const meta = new TextEncoder().encode(
    JSON.stringify({ name, media_type: mediaType, size: content.length }),
  );
  const tail = meta.length + 8 + MAGIC.length;
  const total = bucket(content.length + tail);
  const out = new Uint8Array(total);
  out.set(content, 0);
  out.set(meta, total - tail);
  new DataView(out.buffer).setBigUint64(total - 16, BigInt(meta.length));
  out.set(MAGIC, total - 8);
  return out;
}

/**
 * A photo without what the camera wrote about it (place, time, device), told by its bytes, not
 * by the type the device claims: JPEG APP1, APP3-APP13, APP15 and comment segments and anything
 * after the end of the first image (second images, gain maps, video trailers), PNG text, time,
 * EXIF and content-credential chunks, WebP EXIF and XMP chunks. Returns null for a JPEG, PNG or
 * WebP it cannot parse, and for other files, so that the caller re-encodes or warns.
 */
export function stripMetadata(bytes) {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return stripJpeg(bytes);
  if (PNG.every((v, k) => bytes[k] === v)) return stripPng(bytes);
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return stripWebp(bytes);
  return null;
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ascii = (b, from, to) => String.fromCharCode(...b.subarray(from, to));

function stripJpeg(b) {
  const parts = [b.subarray(0, 2)];
  let i = 2;
  for (;;) {
    // Markers may be preceded by any number of 0xFF fill bytes.
    if (b[i] !== 0xff) return null;
    while (b[i] === 0xff) i++;
    if (i >= b.length) return null;
    const marker = b[i];
    const start = i - 1;
    i++;
    if (marker === 0xd9) {
      // End of the first image: whatever follows (another image, a video) is left behind.
      parts.push(Uint8Array.of(0xff, 0xd9));
      return concat(parts);
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (i + 2 > b.length) return null;
    const length = (b[i] << 8) | b[i + 1];
    if (length < 2 || i + length > b.length) return null;
    const end = i + length;
    const keep = !isJpegMetadata(marker, b, i + 2, end);
    if (keep) parts.push(Uint8Array.of(0xff, marker), b.subarray(i, end));
    i = end;
    if (marker === 0xda) {
      // Entropy-coded data runs to the next marker that is neither stuffing nor a restart.
      const scan = i;
      while (i + 1 < b.length && !(b[i] === 0xff && b[i + 1] !== 0 && (b[i + 1] < 0xd0 || b[i + 1] > 0xd7) && b[i + 1] !== 0xff)) i++;
      if (i + 1 >= b.length) return null;
      parts.push(b.subarray(scan, i));
    }
  }
}

/** APP0 JFIF, APP2 ICC profiles and APP14 Adobe colour data stay; other APPn and comments go. */
function isJpegMetadata(marker, b, from, to) {
  if (marker === 0xfe) return true;
  if (marker < 0xe0 || marker > 0xef) return false;
  const id = ascii(b, from, Math.min(to, from + 12));
  if (marker === 0xe0) return !id.startsWith("JFIF\0");
  if (marker === 0xe2) return !id.startsWith("ICC_PROFILE");
  if (marker === 0xee) return !id.startsWith("Adobe");
  return true;
}

function stripPng(b) {
  const drop = new Set(["eXIf", "exIf", "zxIf", "tEXt", "iTXt", "zTXt", "tIME", "caBX"]);
  const parts = [b.subarray(0, 8)];
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 8;
  while (i + 12 <= b.length) {
    const length = view.getUint32(i);
    const type = ascii(b, i + 4, i + 8);
    const end = i + 12 + length;
    if (end > b.length) return null;
    if (!drop.has(type)) parts.push(b.subarray(i, end));
    i = end;
    if (type === "IEND") break;
  }
  return concat(parts);
}

function stripWebp(b) {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const parts = [];
  let i = 12;
  while (i + 8 <= b.length) {
    const type = ascii(b, i, i + 4);
    const size = view.getUint32(i + 4, true);
    const end = i + 8 + size + (size % 2);
    if (end > b.length + 1) return null;
    if (type !== "EXIF" && type !== "XMP ") {
      const chunk = b.slice(i, end);
      // VP8X flags say which metadata chunks follow: clear EXIF (bit 3) and XMP (bit 2).
      if (type === "VP8X") chunk[8] &= ~0x0c;
      parts.push(chunk);
    }
    i = end;
  }
  const body = concat(parts);
  const out = new Uint8Array(12 + body.length);
  out.set(b.subarray(0, 12));
  new DataView(out.buffer).setUint32(4, 4 + body.length, true);
  out.set(body, 12);
  return out;
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const b64 = base64;

/**
 * The answer to a busy server's challenge (src/http/public/work.rs): a nonce such that
 * SHA-256(challenge ‖ nonce as 8 bytes little-endian) starts with `bits` zero bits. Yields to
 * the page now and then, so that it stays responsive.
 */
export async function solve(challenge, bits) {
  const input = new Uint8Array(challenge.length + 8);
  input.set(challenge);
  const view = new DataView(input.buffer);
  for (let n = 0; ; n++) {
    view.setUint32(challenge.length, n >>> 0, true);
    view.setUint32(challenge.length + 4, Math.floor(n / 2 ** 32), true);
    if (zeroBits(sha256(input)) >= bits) return n;
    if (n % 4096 === 4095) await new Promise((next) => setTimeout(next, 0));
  }
}

function zeroBits(digest) {
  let bits = 0;
  for (const byte of digest) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}

/** What the organisation's signature over the public keyring covers: this line, then it. */
const SIGNED_PREFIX = "confide public keyring v1\n";

/**
 * The served keyring, checked against the organisation key pinned in the page: the signature
 * over its public document must verify, and every intake recipient it lists must be one the
 * document gives for that entity (the server may leave out members revoked since signing,
 * never add one). `signedRecipients` are the intake officers and investigators of every entity,
 * whom a later message may be sealed to. A keyring whose serial is below `minimumSerial` (the
 * one the page was made from) is refused: its signature is genuine but it is out of date.
 * Throws when anything fails.
 */
export function verifyKeyring(ring, pin, minimumSerial = 0) {
  const signed = ring.signed;
  if (!signed || typeof signed.document !== "string") throw new Error("unsigned keyring");
  let valid = false;
  try {
    valid = ed25519.verify(
      base64.decode(signed.signature),
      new TextEncoder().encode(SIGNED_PREFIX + signed.document),
      base64.decode(pin),
    );
  } catch {
    valid = false;
  }
  if (!valid) throw new Error("keyring signature");
  const document = JSON.parse(signed.document);
  // An earlier keyring, validly signed, may still list a member since removed.
  if (!(document.serial >= minimumSerial)) throw new Error("older keyring");
  const signedEntities = document.entities;
  const signedRecipients = new Set();
  for (const e of signedEntities) {
    for (const r of [...e.intake, ...e.investigators]) signedRecipients.add(r);
  }
  const entities = ring.entities.map((e) => {
    const signedEntity = signedEntities.find((s) => s.id === e.id);
    if (!signedEntity) throw new Error("unsigned entity");
    const intake = new Set(signedEntity.intake);
    if (!e.recipients.every((r) => intake.has(r))) throw new Error("unsigned recipient");
    return e;
  });
  return { ...ring, entities, signedRecipients };
}
