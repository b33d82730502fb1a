'use strict';
// Daily reconciliation against the bank's file (GET /reconciliation-files/{date}, ready on D+1 at 03:00;
// read here from 03:30). For each repayment in the file whose total matches what the platform collected,
// the bank's split by installment and component replaces the platform's own, and a repayment still waiting
// for an answer is taken as posted. Breaks are logged, never silently "fixed":
//   - a file not there yet: asked again every 30 minutes, for three days;
//   - rows listed twice: counted once; a header that does not add up: reported;
//   - a posting the bank confirmed that the file lacks: asked again (same key, idempotent), and the file
//     fetched again every 12 hours until a re-issued version has it — a gap, not an unpaid installment;
//   - money collected that day that the bank has not got and nothing retries: forwarded again.

const clock = require('./clock');
const money = require('./money');
const { FAIL, MAX_BACKOFF, NEW, SUCCESS } = require('./states');

const READ_AT = '03:30';
const FILE_PATIENCE = 3 * clock.DAY; // how long to keep asking for a day's file
const REFETCH_EVERY = 12 * clock.HOUR; // an incomplete file is asked for again this often ...
const REDELIVERY_PATIENCE = 30 * clock.DAY; // ... for this long
const CATCH_UP_DAYS = 40; // files older than this are not fetched when the clock leaps ahead

/** JSON with sorted keys: two rows are duplicates when this is equal. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const rowParts = (r) =>
  money.parts(money.cents(r.paidPrincipal), money.cents(r.paidInterest), money.cents(r.paidFee), money.cents(r.paidPenalty));

class Reconciliation {
  constructor(platform) {
    this.p = platform;
    this.nextFile = null; // the first day whose file is not scheduled yet
    this.due = new Map(); // day → when to fetch its file
    this.confirmed = new Set(); // postings missing from a file that the bank was asked about
    this.breaks = [];
  }

  start(day) {
    this.nextFile = day;
  }

  breakNoted(text) {
    this.breaks.push(text);
    this.p.log.warning(`reconciliation break: ${text}`);
  }

  readyAt(day) {
    return clock.zoned(clock.addDays(day, 1), READ_AT, this.p.tz);
  }

  async run(now) {
    const today = this.p.localDate(now);
    if (this.nextFile !== null && clock.daysBetween(this.nextFile, today) > CATCH_UP_DAYS) {
      const skipped = this.nextFile;
      this.nextFile = clock.addDays(today, -CATCH_UP_DAYS);
      this.breakNoted(`files from ${skipped} to ${clock.addDays(this.nextFile, -1)} not read: the clock leapt`);
    }
    while (this.nextFile !== null && this.nextFile < today) {
      const ready = this.readyAt(this.nextFile);
      if (now < ready) break;
      this.due.set(this.nextFile, ready);
      this.nextFile = clock.addDays(this.nextFile, 1);
    }
    for (const day of [...this.due.keys()].sort()) {
      if (this.due.get(day) <= now) await this.reconcile(day, now);
    }
  }

  async reconcile(day, now) {
    const answer = await this.p.partners.call('bank', 'GET', `/reconciliation-files/${day}`);
    if (!answer.ok) return this.later(day, now, answer.reason);
    if (answer.status !== 200) return this.later(day, now, `HTTP ${answer.status}`);
    this.due.delete(day);
    const file = answer.body;
    const records = file.records;
    const unique = [...new Map(records.map((r) => [canonical(r), r])).values()];
    if (unique.length !== records.length) {
      this.breakNoted(`file ${day}: ${records.length - unique.length} duplicated row(s), counted once`);
    }
    const sum = (rows) => rows.reduce((acc, r) => acc + money.cents(r.repayAmount), 0);
    if (file.recordCount !== records.length || money.cents(file.totalAmount) !== sum(records)) {
      this.breakNoted(`file ${day}: header says ${file.recordCount} rows / ${file.totalAmount}`);
    }
    const byKey = new Map();
    for (const r of unique) {
      if (!byKey.has(r.repayOuterNo)) byKey.set(r.repayOuterNo, []);
      byKey.get(r.repayOuterNo).push(r);
    }
    for (const [key, rows] of byKey) {
      const c = this.p.collections.get(key);
      if (!c) {
        this.postedElsewhere(day, key, rows);
        continue;
      }
      const posted = sum(rows);
      if (posted !== c.amount) {
        this.breakNoted(`file ${day}: ${key} posted ${money.amount(posted)}, we collected ${money.amount(c.amount)}`);
        continue;
      }
      c.lines = new Map(rows.map((r) => [r.installmentNo, rowParts(r)]));
      c.reconciled = true;
      if (c.state === FAIL) this.breakNoted(`file ${day}: the bank posted ${key}, which we took as refused and refunded`);
      else if (c.state !== SUCCESS) this.p.transition(c, SUCCESS, 'reconciliation', { posted: rows[0].postedAt });
    }
    this.p.log.info(`reconciliation of ${day}: ${records.length} rows, ${money.amount(sum(unique))}, version ${file.version}`);
    if (await this.missing(day)) this.again(day, now);
    return undefined;
  }

  /** A posting we never sent: on one of our loans it goes into the books as the bank made it. */
  postedElsewhere(day, key, rows) {
    const loan = this.p.loans.get(rows[0].loanOuterNo);
    if (!loan) {
      this.breakNoted(`file ${day}: row for ${key} on a loan we do not hold`);
      return;
    }
    const lines = new Map(rows.map((r) => [r.installmentNo, rowParts(r)]));
    const total = [...lines.values()].reduce((acc, p) => acc + money.total(p), 0);
    const c = {
      key,
      loanNo: loan.no,
      borrowerId: loan.borrowerId,
      amount: total,
      repayType: rows[0].repayType,
      paidAt: clock.parseInstant(rows[0].actualRepayDate, this.p.tz),
      paidAtText: rows[0].actualRepayDate,
      lines,
      body: null,
      state: SUCCESS,
      attempts: 0,
      polls: 0,
      writeOffs: 1,
      nextAt: null,
      postedAt: clock.parseInstant(rows[0].postedAt, this.p.tz),
      dropped: false,
      reconciled: true,
    };
    this.p.collections.set(key, c);
    loan.payments.push(c);
    this.breakNoted(`file ${day}: ${key} (${rows[0].repayMode}, ${money.amount(total)}) was posted on loan ${loan.no} without us; taken into the books`);
  }

  later(day, now, reason) {
    if (now - this.readyAt(day) > FILE_PATIENCE) {
      this.due.delete(day);
      this.breakNoted(`no reconciliation file for ${day} (${reason}); its payments stay unconfirmed, not unpaid`);
      return;
    }
    this.due.set(day, now + MAX_BACKOFF);
    this.p.log.info(`reconciliation file for ${day} not available (${reason}); asking again later`);
  }

  again(day, now) {
    if (now - this.readyAt(day) > REDELIVERY_PATIENCE) {
      this.breakNoted(`file ${day}: still incomplete after ${REDELIVERY_PATIENCE / clock.DAY} days; escalated to the bank`);
      return;
    }
    this.due.set(day, now + REFETCH_EVERY);
    this.p.log.info(`reconciliation file for ${day} is incomplete; asking for it again at ${clock.formatInstant(now + REFETCH_EVERY, this.p.tz)}`);
  }

  /** What the platform collected on `day` (or was told was posted on it) that the file lacks; whether a
   * posting the bank confirmed is missing from it. */
  async missing(day) {
    let incomplete = false;
    for (const c of [...this.p.collections.values()]) {
      if (c.reconciled || c.state === FAIL) continue;
      if (c.state === SUCCESS) {
        if (c.postedAt !== null && this.p.localDate(c.postedAt) === day) {
          incomplete = true;
          if (!this.confirmed.has(c.key)) {
            this.confirmed.add(c.key);
            await this.confirm(c, day);
          }
        }
      } else if (this.p.localDate(c.paidAt) === day) {
        if (this.p.open.has(c.key)) {
          this.breakNoted(`file ${day}: ${c.key} not at the bank yet, in the outbox (${c.state})`);
        } else {
          this.breakNoted(`file ${day}: ${c.key} collected, not at the bank; forwarding it again`);
          c.dropped = false;
          c.state = NEW;
          await this.p.send(c);
        }
      }
    }
    return incomplete;
  }

  /** A posting the file lacks: ask the bank again with the same key (idempotent) — a gap, not unpaid. */
  async confirm(c, day) {
    const answer = await this.p.partners.call('bank', 'POST', '/repayments', { json: { ...c.body, reqNo: this.p.serial('RQ') } });
    let said;
    if (!answer.ok) said = answer.reason;
    else if (answer.status === 200) said = answer.body.repayStatus;
    else said = `HTTP ${answer.status}`;
    this.breakNoted(`file ${day}: ${c.key} is missing although posted; the bank answers ${said}`);
  }
}

module.exports = { Reconciliation };
