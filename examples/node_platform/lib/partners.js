'use strict';
// Calls to the partners (bank, bureau, SMS gateway) with the global fetch, each with its own timeout.
//
// What a failed call means decides what the platform may do next, so every call resolves to one of:
//   {ok: true, status, body, headers}  the partner answered (any status);
//   {ok: false, taken: false, reason}  it certainly did not get the request (connection refused);
//   {ok: false, taken: null, reason}   nobody knows: a timeout, a connection reset, an answer cut short —
//                                      the partner may have acted on it, so look it up before resending.

const VIRTUAL_TIME = 'x-lendsim-virtual-time';
const NOT_TAKEN = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function causeCode(error) {
  if (error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  let current = error;
  for (let depth = 0; current && depth < 5; depth += 1) {
    if (typeof current.code === 'string') return current.code;
    if (current.name === 'TimeoutError' || current.name === 'AbortError') return 'timeout';
    current = current.cause;
  }
  return error && error.name ? error.name : 'Error';
}

class Partners {
  /**
   * @param {{bank: string, bureau: string, sms: string}} urls base URLs from setupRun
   * @param {{timeouts: {bank: number, bureau: number, sms: number}, observe: (stamp: string) => void,
   *          userAgent: string}} options timeouts in ms; `observe` hears every answer's virtual time
   */
  constructor(urls, { timeouts, observe, userAgent, signing = null, now = () => null }) {
    this.signing = signing; // the run's keys when the bank signs (setupRun's signing): its requests are signed
    this.now = now;
    this.urls = Object.fromEntries(Object.entries(urls).map(([name, url]) => [name, String(url).replace(/\/+$/, '')]));
    this.timeouts = timeouts;
    this.observe = observe;
    this.userAgent = userAgent;
  }

  /** One request to `partner`; never throws for transport trouble (see the module comment). */
  async call(partner, method, path, { json, query } = {}) {
    let url = this.urls[partner] + path;
    const search = query ? String(new URLSearchParams(query)) : '';
    if (search) url += `?${search}`;
    const init = {
      method,
      headers: { 'user-agent': this.userAgent, accept: 'application/json' },
      signal: AbortSignal.timeout(this.timeouts[partner]),
    };
    if (json !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(json);
    }
    if (this.signing && partner === 'bank') {
      // sign the very bytes sent: the body as a Buffer, the query string as it is on the URL
      const body = Buffer.from(init.body === undefined ? '' : init.body, 'utf8');
      if (init.body !== undefined) init.body = body;
      Object.assign(init.headers, this.signing.headers(method, path, search, body, this.now()));
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      const code = causeCode(error);
      return { ok: false, taken: NOT_TAKEN.has(code) ? false : null, reason: code };
    }
    let text;
    try {
      text = await response.text(); // an answer cut short fails here, after its status line
    } catch (error) {
      return { ok: false, taken: null, reason: causeCode(error) };
    }
    const stamp = response.headers.get(VIRTUAL_TIME);
    if (stamp) this.observe(stamp);
    let body = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { ok: true, status: response.status, body, text };
  }
}

module.exports = { Partners, VIRTUAL_TIME };
