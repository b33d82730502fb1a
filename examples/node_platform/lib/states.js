'use strict';
// Repayment states — the bank's PROCESSING, SUCCESS and FAIL, and two of the platform's own — and the retry
// backoff the platform's jobs share.

const { MINUTE } = require('./clock');

const NEW = 'NEW'; // collected, not (successfully) sent yet
const UNKNOWN = 'UNKNOWN'; // sent, the answer was lost: the bank may or may not have it
const PROCESSING = 'PROCESSING';
const SUCCESS = 'SUCCESS';
const FAIL = 'FAIL';
const TERMINAL = new Set([SUCCESS, FAIL]);
const MAX_BACKOFF = 30 * MINUTE;

/** 1, 2, 4, 8, 16, then 30 minutes. */
const backoff = (attempts) => Math.min(2 ** Math.min(Math.max(attempts - 1, 0), 5) * MINUTE, MAX_BACKOFF);

module.exports = { FAIL, MAX_BACKOFF, NEW, PROCESSING, SUCCESS, TERMINAL, UNKNOWN, backoff };
