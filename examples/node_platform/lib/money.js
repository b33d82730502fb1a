'use strict';
// Money in integer cents (fen). The contracts carry amounts as decimal strings with two decimals ("1006.00");
// a JavaScript number holds every amount they allow (at most 12 integer digits) exactly as a count of cents.

const AMOUNT = /^(0|[1-9][0-9]{0,11})\.[0-9]{2}$/;
const COMPONENTS = ['principal', 'interest', 'fee', 'penalty'];
// The order a payment pays an installment off in, as the bank does unless it is told otherwise.
const DEFAULT_ORDER = ['penalty', 'interest', 'principal', 'fee'];

class MoneyError extends Error {}

/** "1006.00" → 100600. */
function cents(text) {
  if (typeof text !== 'string' || !AMOUNT.test(text)) {
    throw new MoneyError(`${JSON.stringify(text)} is not an amount like '1006.00'`);
  }
  const [whole, frac] = text.split('.');
  return Number(whole) * 100 + Number(frac);
}

/** 100600 → "1006.00". */
function amount(value) {
  const sign = value < 0 ? '-' : '';
  const abs = Math.abs(value);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** An amount split the way an installment is made of (cents per component). */
const parts = (principal = 0, interest = 0, fee = 0, penalty = 0) => ({ principal, interest, fee, penalty });

const total = (p) => p.principal + p.interest + p.fee + p.penalty;

const add = (a, b) => parts(a.principal + b.principal, a.interest + b.interest, a.fee + b.fee, a.penalty + b.penalty);

const times = (p, n) => parts(p.principal * n, p.interest * n, p.fee * n, p.penalty * n);

/** What is left of `a` once `b` is taken off, never below zero per component. */
const less = (a, b) =>
  parts(
    Math.max(a.principal - b.principal, 0),
    Math.max(a.interest - b.interest, 0),
    Math.max(a.fee - b.fee, 0),
    Math.max(a.penalty - b.penalty, 0),
  );

/** Split `value` over `owed` in `order`, each component at most what is owed; returns [taken, rest]. */
function allocate(value, owed, order = DEFAULT_ORDER) {
  const taken = parts();
  let rest = value;
  for (const component of order) {
    const take = Math.min(rest, owed[component]);
    taken[component] = take;
    rest -= take;
  }
  return [taken, rest];
}

/** A repayList line of repayApply. */
const line = (no, p) => ({
  installmentNo: no,
  paidPrincipal: amount(p.principal),
  paidInterest: amount(p.interest),
  paidFee: amount(p.fee),
  paidPenalty: amount(p.penalty),
});

module.exports = { COMPONENTS, MoneyError, add, allocate, amount, cents, less, line, parts, times, total };
