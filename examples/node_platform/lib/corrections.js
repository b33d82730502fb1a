'use strict';
// Credit-record corrections. An installment the platform collected in full by its due date plus grace, that
// the bank nevertheless marked overdue (an OVERDUE or BUREAU_REPORTED notice) or posted only after its due
// day, gets a correctionApply for every month from its due month to now — with the repayment that proves it
// as evidence — once the bank holds all of that money. Each correction is followed (correctionQuery) until the
// bureau loaded it; a rejected one is asked again under a new number, at most four times.

const clock = require('./clock');
const { MAX_BACKOFF, SUCCESS, backoff } = require('./states');

const ATTEMPTS = 4;
const POLL_AFTER_REJECTION = 6 * clock.HOUR;
const DONE = new Set(['COMPLETED', 'GAVE_UP']);

class Corrections {
  constructor(platform) {
    this.p = platform;
    this.candidates = new Map(); // "loan|installment" → [loanNo, installmentNo], to look at on the next tick
    this.tasks = new Map(); // "loan|installment|month" → task
    this.open = new Set(); // task keys not COMPLETED and not given up
  }

  consider(loanNo, no) {
    this.candidates.set(`${loanNo}|${no}`, [loanNo, no]);
  }

  /** A repayment reached the bank's books: posted after an installment's due day, that installment may have
   * been reported overdue meanwhile. */
  posted(c) {
    if (c.postedAt === null) return;
    const loan = this.p.loans.get(c.loanNo);
    const day = this.p.localDate(c.postedAt);
    for (const no of c.lines.keys()) if (day > this.p.dueDate(loan, no)) this.consider(loan.no, no);
  }

  /** A BUREAU_CORRECTED notice: look at our corrections of that installment now, not at the next poll. */
  followNow(loan, no) {
    for (const month of clock.monthsBetween(this.p.dueDate(loan, no), this.p.localDate(this.p.now))) {
      const task = this.tasks.get(`${loan.no}|${no}|${month}`);
      if (task && task.status !== 'NEW' && !DONE.has(task.status)) task.nextAt = this.p.now;
    }
  }

  async run(now) {
    for (const [key, [loanNo, no]] of [...this.candidates].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const loan = this.p.loans.get(loanNo);
      const payments = this.p.payments(loan, no);
      const deadline = this.p.deadline(loan, no);
      if (!this.p.collectedOnTime(loan, no, payments, deadline)) {
        // Not ours to put right (paid late, or not at all) — unless the money may still come in time.
        if (now > deadline || payments.some((c) => c.paidAt > deadline)) this.candidates.delete(key);
        continue;
      }
      if (!payments.every((c) => c.state === SUCCESS)) continue; // first the bank must have the money
      const evidence = payments.reduce((a, b) => (b.paidAt > a.paidAt || (b.paidAt === a.paidAt && b.key > a.key) ? b : a));
      for (const month of clock.monthsBetween(this.p.dueDate(loan, no), this.p.localDate(now))) {
        const taskKey = `${loanNo}|${no}|${month}`;
        if (this.tasks.has(taskKey)) continue;
        this.tasks.set(taskKey, {
          loanNo,
          no,
          month,
          number: this.p.serial('CR'),
          evidence: { repayOuterNo: evidence.key, actualRepayDate: evidence.paidAtText },
          status: 'NEW', // NEW (to send) → ACCEPTED / SUBMITTED → COMPLETED; REJECTED → NEW again; GAVE_UP
          attempts: 0,
          failures: 0,
          nextAt: now,
        });
        this.open.add(taskKey);
      }
      this.candidates.delete(key);
    }
    for (const taskKey of [...this.open].sort()) {
      const task = this.tasks.get(taskKey);
      if (task.nextAt !== null && task.nextAt > now) continue;
      if (task.status === 'NEW') await this.ask(task, now);
      else await this.follow(task, now);
      if (DONE.has(task.status)) this.open.delete(taskKey);
    }
  }

  async ask(task, now) {
    const body = {
      correctionNo: task.number,
      loanOuterNo: task.loanNo,
      installmentNo: task.no,
      month: task.month,
      reason: 'REPAID_ON_TIME',
      evidence: task.evidence,
    };
    const answer = await this.p.partners.call('bank', 'POST', '/corrections', { json: body });
    if (!answer.ok) {
      task.failures += 1;
      task.nextAt = now + backoff(task.failures);
      this.p.log.info(`correction ${task.number} not sent (${answer.reason}); again later`);
    } else if (answer.status === 202) {
      task.attempts += 1;
      this.p.log.info(
        `correction ${task.number} asked for loan ${task.loanNo} installment ${task.no} month ${task.month} (evidence ${task.evidence.repayOuterNo})`,
      );
      this.state(task, answer.body, now);
    } else if (answer.status === 409) {
      task.number = this.p.serial('CR');
      task.nextAt = now;
    } else if (answer.status === 429 || answer.status >= 500) {
      task.failures += 1;
      task.nextAt = now + backoff(task.failures);
    } else {
      task.status = 'GAVE_UP';
      this.p.log.error(`correction ${task.number} refused with HTTP ${answer.status}: ${String(answer.text).slice(0, 300)}`);
    }
  }

  async follow(task, now) {
    const answer = await this.p.partners.call('bank', 'GET', `/corrections/${encodeURIComponent(task.number)}`);
    if (answer.ok && answer.status === 200) this.state(task, answer.body, now);
    else if (answer.ok && answer.status === 404) {
      task.status = 'NEW'; // the bank has no such correction: ask again
      task.nextAt = now;
    } else task.nextAt = now + MAX_BACKOFF;
  }

  state(task, correction, now) {
    const { status } = correction;
    if (status === 'COMPLETED') {
      task.status = 'COMPLETED';
      this.p.log.info(`correction ${task.number} completed (${correction.bureauRecordType || 'none needed'})`);
    } else if (status === 'REJECTED') {
      if (task.attempts >= ATTEMPTS) {
        task.status = 'GAVE_UP';
        this.p.log.error(`correction of loan ${task.loanNo} month ${task.month} rejected ${task.attempts} times: ${correction.note}`);
      } else {
        task.status = 'NEW';
        task.number = this.p.serial('CR');
        task.nextAt = now + POLL_AFTER_REJECTION;
        this.p.log.warning(`correction rejected (${correction.note}); asking again as ${task.number} later`);
      }
    } else {
      task.status = status;
      task.nextAt = now + (status === 'ACCEPTED' ? clock.HOUR : clock.DAY);
    }
  }
}

module.exports = { Corrections };
