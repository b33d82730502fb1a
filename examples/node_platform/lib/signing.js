'use strict';
// Signed partner traffic (lendsim's docs/signing.md), written from the page: the platform signs every request to
// the bank and checks every callback and notice the bank delivers before acting on it.
//
// Canonical form: algorithm, METHOD, path (relative to the bank's base URL), query string, app id, key id,
// timestamp (ms), nonce, hex digest of the body — joined by "\n"; the signature is base64 HMAC of it.

const crypto = require('node:crypto');

const HASHES = { 'HMAC-SHA256': 'sha256', 'HMAC-SM3': 'sm3' };
const NAMES = ['x-app-id', 'x-key-id', 'x-timestamp', 'x-nonce', 'x-signature'];

function seconds(duration) {
  const match = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(String(duration || ''));
  return match ? Number(match[1] || 0) * 3600 + Number(match[2] || 0) * 60 + Number(match[3] || 0) || 300 : 300;
}

function mac(key, lines) {
  const hmac = crypto.createHmac(HASHES[key.algorithm], key.secret);
  return hmac.update(lines.join('\n')).digest('base64');
}

function canonical(key, method, path, query, timestamp, nonce, body) {
  const digest = crypto.createHash(HASHES[key.algorithm]).update(body).digest('hex');
  return [key.algorithm, method.toUpperCase(), path, query, key.appId, key.keyId, timestamp, nonce, digest];
}

class Signing {
  /** setupRun's `signing`: the platform's key, the bank's keys, the window. */
  constructor(spec, tag) {
    this.key = spec.key;
    this.bankKeys = new Map(spec.bankKeys.map((k) => [`${k.appId}/${k.keyId}`, k]));
    this.windowMs = seconds(spec.window) * 1000;
    this.tag = tag;
    this.count = 0;
    this.seen = new Map(); // nonce → until (ms)
  }

  /** The five headers for a request to the bank at `nowMs` (the platform's virtual clock). */
  headers(method, path, query, body, nowMs) {
    this.count += 1;
    const nonce = `node${this.tag}${String(this.count).padStart(10, '0')}`;
    const timestamp = String(Math.trunc(nowMs));
    const signature = mac(this.key, canonical(this.key, method, path, query, timestamp, nonce, body));
    return { 'x-app-id': this.key.appId, 'x-key-id': this.key.keyId, 'x-timestamp': timestamp, 'x-nonce': nonce, 'x-signature': signature };
  }

  /** null when a delivery from the bank to `path` verifies, else why not. */
  check(path, headers, raw, nowMs) {
    const [appId, keyId, timestamp, nonce, signature] = NAMES.map((name) => String(headers[name] || ''));
    if (!appId || !signature) return 'signature_missing: the delivery is not signed';
    const key = this.bankKeys.get(`${appId}/${keyId}`);
    if (!key) return `unknown_key: ${appId}/${keyId}`;
    if (!/^\d{1,15}$/.test(timestamp)) return 'skew: the timestamp is not milliseconds';
    const when = Number(timestamp);
    if (nowMs !== null && Math.abs(when - nowMs) > this.windowMs) return `skew: signed at ${when}, our clock says ${nowMs}`;
    const expected = Buffer.from(mac(key, canonical(key, 'POST', path, '', timestamp, nonce, raw)));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) return 'signature_mismatch';
    const latest = Math.max(when, nowMs || when);
    for (const [seen, until] of this.seen) if (until < latest) this.seen.delete(seen);
    if (this.seen.has(nonce)) return `nonce_reused: ${nonce}`;
    this.seen.set(nonce, when + this.windowMs);
    return null;
  }
}

module.exports = { Signing };
