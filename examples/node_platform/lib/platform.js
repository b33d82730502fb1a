'use strict';
// The platform: one method per operation of contracts/platform.yaml (JSON in, JSON out), the run it holds in
// memory, and the repayment outbox. Reconciliation, corrections and the SMS ledger live in their own modules.
//
// A repayment the borrower makes in the app goes through these states:
//
//   NEW ──repayApply──► PROCESSING ──callback/query──► SUCCESS | FAIL     (SUCCESS and FAIL are terminal)
//    ▲  └─ no answer ─► UNKNOWN ──repayResultQuery──► (404: NEW again with the same repayOuterNo and body)
//    └──── the bank did not take it (503, refused): retried from the outbox with backoff
//
// Safeguards (each can be switched off to make a defective copy, see DEFECTS):
//   outbox               a repayment stays in the outbox until the bank answers it; retries keep the same
//                        repayOuterNo (the idempotency key) and the same body, actualRepayDate included
//   query-on-timeout     an answer that never came is looked up (repayResultQuery) before anything else
//   monotonic-callbacks  SUCCESS and FAIL never change; duplicate and out-of-order callbacks are ignored
//   reconciliation       the bank's daily file is read; the bank's split is taken, gaps chased
//   corrections          an installment collected in time that the bank reported overdue is corrected
//   sms-dedupe           one platform SMS per (loan, installment, template); a lost answer is looked up
//   masked-logs          no full ID, card or phone number, and no name, in what the platform logs
//   verify-callbacks     in a signed run, a callback or notice the bank did not sign is refused (401), not acted on

const clock = require('./clock');
const money = require('./money');
const { Log, maskPhone } = require('./log');
const { Partners } = require('./partners');
const { Signing } = require('./signing');
const { Reconciliation } = require('./reconciliation');
const { Corrections } = require('./corrections');
const { SmsOutbox } = require('./sms');
const { FAIL, NEW, PROCESSING, SUCCESS, TERMINAL, UNKNOWN, backoff } = require('./states');

const SAFEGUARDS = [
  'outbox',
  'query-on-timeout',
  'monotonic-callbacks',
  'reconciliation',
  'corrections',
  'sms-dedupe',
  'masked-logs',
  'verify-callbacks',
];
/** LENDSIM_NODE_DEFECT names → the safeguard each one switches off. */
const DEFECTS = {
  'no-outbox': 'outbox',
  'no-query-on-timeout': 'query-on-timeout',
  'no-monotonic': 'monotonic-callbacks',
  'no-reconciliation': 'reconciliation',
  'no-corrections': 'corrections',
  'no-dedupe': 'sms-dedupe',
  'plain-logs': 'masked-logs',
  'unverified-callbacks': 'verify-callbacks',
};

const DEFAULT_TIMEZONE = 'Asia/Shanghai';
const CALLBACK_SLA = 10 * clock.MINUTE; // poll a PROCESSING repayment whose callback has not come after this
const EARLIEST = Date.parse('0001-01-02T00:00:00Z');
const LATEST = Date.parse('9999-12-30T00:00:00Z');
const ACK = Object.freeze({ respCode: '0000', respMsg: 'success' });

class PlatformError extends Error {
  constructor(status, title, detail) {
    super(detail);
    this.status = status;
    this.title = title;
    this.detail = detail;
  }
}

class Platform {
  /**
   * @param {{disabled?: Iterable<string>, timeouts?: {bank: number, bureau: number, sms: number},
   *          graceDays?: number, write?: (line: string) => void}} options
   */
  constructor({ disabled = [], timeouts = { bank: 5000, bureau: 5000, sms: 5000 }, graceDays = 3, write } = {}) {
    this.safeguards = new Set(SAFEGUARDS);
    for (const name of disabled) this.safeguards.delete(name);
    this.timeouts = timeouts;
    this.graceDays = graceDays;
    this.log = new Log({ masked: this.on('masked-logs'), clock: () => this.nowText(), write });
    this.clear();
  }

  on(safeguard) {
    return this.safeguards.has(safeguard);
  }

  clear() {
    this.tz = DEFAULT_TIMEZONE;
    this.now = null;
    this.runId = null;
    this.tag = '0000';
    this.partners = null;
    this.signing = null;
    this.borrowers = new Map();
    this.loans = new Map();
    this.collections = new Map(); // repayOuterNo → collection
    this.open = new Set(); // repayOuterNos the outbox still works on
    this.serials = new Map();
    this.reconciliation = new Reconciliation(this);
    this.corrections = new Corrections(this);
    this.sms = new SmsOutbox(this);
  }

  // -- the clock ---------------------------------------------------------------------------------------

  /** Take `stamp` (a virtual time someone sent) as now if it is later than now. */
  observe(stamp) {
    if (!stamp) return;
    const seen = clock.parseInstant(stamp, this.tz);
    if (!(seen >= EARLIEST && seen <= LATEST)) return; // not a time this platform can write back in RFC 3339
    if (this.now === null || seen > this.now) this.now = seen;
  }

  nowText() {
    return this.now === null ? null : clock.formatInstant(this.now, this.tz);
  }

  localDate(ms) {
    return clock.localDate(ms, this.tz);
  }

  /** The end of an installment's grace as the platform assumes it: the last day's 23:59:59. */
  deadline(loan, no) {
    return clock.zoned(clock.addDays(this.dueDate(loan, no), this.graceDays), '23:59:59', this.tz);
  }

  serial(prefix) {
    const next = (this.serials.get(prefix) || 0) + 1;
    this.serials.set(prefix, next);
    return `${prefix}${this.tag}${String(next).padStart(6, '0')}`;
  }

  // -- harness operations ------------------------------------------------------------------------------

  async setupRun(body) {
    await this.resetRun();
    const tz = body.timezone || DEFAULT_TIMEZONE;
    if (!clock.isTimeZone(tz)) {
      throw new PlatformError(400, 'Unknown time zone', `${JSON.stringify(tz)} is not an IANA time zone this platform knows`);
    }
    this.tz = tz;
    this.runId = body.runId;
    this.tag = tagOf(body.runId);
    this.observe(body.start);
    this.signing = body.signing ? new Signing(body.signing, this.tag) : null;
    this.partners = new Partners(body.partners, {
      timeouts: this.timeouts,
      observe: (stamp) => this.observe(stamp),
      userAgent: 'lendsim-node-platform/1',
      signing: this.signing,
      now: () => this.now,
    });
    for (const b of body.borrowers) {
      this.borrowers.set(b.borrowerId, { id: b.borrowerId, name: b.name, certNo: b.certNo, phone: b.phone, cardNo: b.bankCardNo });
    }
    for (const l of body.loans) {
      this.loans.set(l.loanOuterNo, {
        no: l.loanOuterNo,
        borrowerId: l.borrowerId,
        term: l.term,
        dueDay: l.dueDay,
        disburseDate: l.disburseDate,
        plan: new Map(), // installmentNo → {no, dueDate, due, opening}
        overdueNotices: new Set(),
        payments: [],
      });
    }
    let read = 0;
    const loans = [...this.loans.values()];
    for (let i = 0; i < loans.length; i += 8) {
      const results = await Promise.all(loans.slice(i, i + 8).map((loan) => this.readPlan(loan, { opening: true })));
      read += results.filter(Boolean).length;
    }
    this.reconciliation.start(this.localDate(this.now));
    if (!this.on('masked-logs')) {
      for (const b of this.borrowers.values()) this.log.info(`borrower ${this.who(b.id)}`);
    }
    this.log.info(
      `run ${this.runId} set up: ${this.borrowers.size} borrowers, ${this.loans.size} loans (${read} schedules read from the bank)`,
    );
    // How long its client waits for each partner: lendsim serves a latency at or beyond it as a timeout and
    // answers a shorter one at once, stamped that much later in virtual time.
    const clientTimeouts = Object.fromEntries(
      Object.entries(this.timeouts).map(([partner, ms]) => [partner, `PT${Number((ms / 1000).toFixed(3))}S`]),
    );
    return { ready: true, clientTimeouts };
  }

  async resetRun() {
    this.clear();
    return { reset: true };
  }

  async tick(body) {
    this.observe(body.now);
    if (this.partners) {
      const now = this.now;
      await this.outboxJob(now);
      if (this.on('reconciliation')) await this.reconciliation.run(now);
      if (this.on('corrections')) await this.corrections.run(now);
      await this.sms.run(now);
    }
    return { now: this.nowText() || body.now };
  }

  async platformLedger() {
    const loans = [];
    for (const loan of this.loans.values()) {
      const settled = loan.payments.some((c) => c.repayType === 'EARLY_SETTLE' && this.weight(c));
      const numbers = new Set([...loan.plan.keys()]);
      for (const c of loan.payments) for (const no of c.lines.keys()) numbers.add(no);
      for (let no = 1; no <= loan.term; no += 1) numbers.add(no);
      const installments = [...numbers]
        .sort((a, b) => a - b)
        .slice(0, 60)
        .map((no) => {
          const row = loan.plan.get(no);
          let paid = row ? row.opening : money.parts();
          for (const c of loan.payments) {
            const factor = this.weight(c);
            if (factor && c.lines.has(no)) paid = money.add(paid, money.times(c.lines.get(no), factor));
          }
          return {
            installmentNo: no,
            paidPrincipal: money.amount(paid.principal),
            paidInterest: money.amount(paid.interest),
            paidFee: money.amount(paid.fee),
            paidPenalty: money.amount(paid.penalty),
            status: settled ? 'REPAYED' : this.status(loan, no, paid),
          };
        });
      const repayments = loan.payments
        .filter((c) => c.state === PROCESSING || TERMINAL.has(c.state))
        .map((c) => ({ repayOuterNo: c.key, repayStatus: c.state }))
        .slice(-500);
      loans.push({ loanOuterNo: loan.no, installments, repayments });
    }
    return { loans };
  }

  status(loan, no, paid) {
    const row = loan.plan.get(no);
    if (row && money.total(paid) >= money.total(row.due)) return 'REPAYED';
    if (money.total(paid) > 0) return 'PARTIAL';
    return loan.overdueNotices.has(no) ? 'OVERDUE' : 'WAIT_REPAY';
  }

  /** How many times the books count a payment: once unless the bank refused it (then it was refunded). Without
   * monotonic callbacks, once per SUCCESS the platform was told about. */
  weight(c) {
    if (c.state === FAIL) return 0;
    return this.on('monotonic-callbacks') ? 1 : Math.max(1, c.writeOffs);
  }

  // -- the app -----------------------------------------------------------------------------------------

  async borrowerRepay(body) {
    const c = await this.collect(body, this.serial('RP'));
    this.log.info(
      `collected ${money.amount(c.amount)} for loan ${c.loanNo} installment(s) ${[...c.lines.keys()].sort((a, b) => a - b).join(',')} ` +
        `from borrower ${this.who(c.borrowerId)} at ${c.paidAtText} as ${c.key}`,
    );
    this.track(c);
    await this.send(c);
    return { accepted: true, platformRepayNo: c.key };
  }

  /** Record a payment the borrower made: split it by installment and freeze the repayApply body. */
  async collect(body, key) {
    const loan = this.loans.get(body.loanOuterNo);
    if (!loan || loan.borrowerId !== body.borrowerId) {
      throw new PlatformError(404, 'Not found', `No loan ${body.loanOuterNo} for borrower ${body.borrowerId} in this run.`);
    }
    const value = money.cents(body.amount);
    const paidAt = clock.parseInstant(body.paidAt, this.tz);
    this.observe(body.paidAt);
    const no = body.installmentNo;
    if (no !== undefined && !(no >= 1 && no <= loan.term)) {
      throw new PlatformError(404, 'Not found', `Loan ${loan.no} has no installment ${no} (1–${loan.term}).`);
    }
    const day = this.localDate(paidAt);
    if (loan.plan.size === 0) {
      // Not read at set-up (the bank did not answer then): what was paid before the run is the opening balance —
      // unless this run already collected for the loan, which the bank's paid amounts now include.
      await this.readPlan(loan, { opening: loan.payments.length === 0 });
    } else if ([...loan.plan.values()].some((row) => row.dueDate < day && money.total(this.owed(loan, row.no)) > 0)) {
      await this.readPlan(loan); // something is late: the bank may have added a penalty since we looked
    }
    const lines = this.split(loan, value, body.repayType, no, day);
    const c = {
      key,
      loanNo: loan.no,
      borrowerId: loan.borrowerId,
      amount: value,
      repayType: body.repayType,
      paidAt,
      paidAtText: body.paidAt,
      lines,
      body: {
        repayOuterNo: key,
        loanOuterNo: loan.no,
        repayAmount: money.amount(value),
        repayMode: 'PARTNER_COLLECT',
        repayType: body.repayType,
        actualRepayDate: body.paidAt,
        repayList: [...lines.keys()].sort((a, b) => a - b).map((n) => money.line(n, lines.get(n))),
      },
      state: NEW,
      attempts: 0,
      polls: 0,
      writeOffs: 0,
      nextAt: null,
      postedAt: null,
      dropped: false,
      reconciled: false,
    };
    this.collections.set(key, c);
    loan.payments.push(c);
    return c;
  }

  dueDate(loan, no) {
    const row = loan.plan.get(no);
    return row ? row.dueDate : clock.monthlyDate(loan.disburseDate, no, loan.dueDay);
  }

  /** What the platform holds for installment `no`: what was paid before the run plus every payment not refunded. */
  collected(loan, no) {
    const row = loan.plan.get(no);
    let sum = row ? row.opening : money.parts();
    for (const c of loan.payments) if (c.state !== FAIL && c.lines.has(no)) sum = money.add(sum, c.lines.get(no));
    return sum;
  }

  owed(loan, no) {
    const row = loan.plan.get(no);
    return row ? money.less(row.due, this.collected(loan, no)) : money.parts();
  }

  /** The platform's split of a payment by installment; the bank splits each line in its own order, and the
   * reconciliation file tells the platform how. */
  split(loan, value, repayType, no, day) {
    const numbers = loan.plan.size ? [...loan.plan.keys()].sort((a, b) => a - b) : range(1, loan.term);
    if (repayType === 'EARLY_SETTLE') {
      const settled = this.splitSettlement(loan, value, day, numbers);
      if (settled) return settled;
      no = undefined; // the amount does not fit the picture: split it oldest first instead
    }
    const lines = new Map();
    let rest = value;
    const targets = no !== undefined ? [no] : numbers.filter((n) => money.total(this.owed(loan, n)) > 0);
    for (const n of targets) {
      if (rest <= 0) break;
      const [taken, left] = money.allocate(rest, this.owed(loan, n));
      rest = left;
      if (money.total(taken) > 0) lines.set(n, taken);
    }
    if (rest > 0) {
      // More than is owed, or no schedule known: forward it as it is and let the bank decide (E1003).
      const last = no !== undefined ? no : targets.length ? targets[targets.length - 1] : numbers[0] || 1;
      lines.set(last, money.add(lines.get(last) || money.parts(), money.parts(rest)));
    }
    return lines;
  }

  /** Early settlement: what fell due, in full; later installments' principal and fees; the interest to date
   * (what is left of the amount) on the current period. Null when the amount does not fit that picture. */
  splitSettlement(loan, value, day, numbers) {
    const lines = new Map();
    let current = null;
    for (const n of numbers) {
      const owed = this.owed(loan, n);
      if (money.total(owed) === 0) continue;
      if (this.dueDate(loan, n) <= day) lines.set(n, owed);
      else {
        if (current === null) current = n;
        lines.set(n, money.parts(owed.principal, 0, owed.fee, 0));
      }
    }
    let rest = value;
    for (const p of lines.values()) rest -= money.total(p);
    if (current !== null && rest >= 0) lines.set(current, money.add(lines.get(current), money.parts(0, rest)));
    else if (rest !== 0) return null;
    for (const [n, p] of lines) if (money.total(p) === 0) lines.delete(n);
    return lines;
  }

  /** Read (or refresh) a loan's schedule from the bank; `opening` also takes what was paid before the run. */
  async readPlan(loan, { opening = false } = {}) {
    const answer = await this.partners.call('bank', 'GET', `/loans/${encodeURIComponent(loan.no)}/schedule`);
    if (!answer.ok || answer.status !== 200) {
      this.log.warning(`could not read the schedule of loan ${loan.no}: ${answer.ok ? `HTTP ${answer.status}` : answer.reason}`);
      return false;
    }
    for (const item of answer.body.installments) {
      const due = money.parts(
        money.cents(item.duePrincipal),
        money.cents(item.dueInterest),
        money.cents(item.dueCharge),
        money.cents(item.dueFundPenalty) + money.cents(item.duePlatformPenalty),
      );
      const row = loan.plan.get(item.installmentNo);
      if (row) row.due = due;
      else {
        const paid = opening
          ? money.parts(
              money.cents(item.paidPrincipal),
              money.cents(item.paidInterest),
              money.cents(item.paidCharge),
              money.cents(item.paidFundPenalty) + money.cents(item.paidPlatformPenalty),
            )
          : money.parts();
        loan.plan.set(item.installmentNo, { no: item.installmentNo, dueDate: item.dueDate, due, opening: paid });
      }
    }
    loan.term = Math.max(loan.term, loan.plan.size);
    return true;
  }

  // -- the outbox --------------------------------------------------------------------------------------

  /** Keep `c` in the outbox while there is something to do about it. */
  track(c) {
    const working =
      !c.dropped && (c.state === NEW || c.state === UNKNOWN || (c.state === PROCESSING && this.on('query-on-timeout')));
    if (working) this.open.add(c.key);
    else this.open.delete(c.key);
  }

  /** One repayApply attempt: 'ok' (the bank answered), 'down' (it did not take it) or 'unknown'. */
  async send(c) {
    c.attempts += 1;
    const answer = await this.partners.call('bank', 'POST', '/repayments', { json: { ...c.body, reqNo: this.serial('RQ') } });
    if (!answer.ok) return answer.taken === false ? this.notTaken(c, answer.reason) : this.answerLost(c, answer.reason);
    const { status } = answer;
    if (status === 200) {
      this.adopt(c, answer.body, 'repayApply');
      return 'ok';
    }
    if (status === 404 || status === 429 || status >= 500) return this.notTaken(c, `HTTP ${status}`);
    if (status === 409) {
      // Cannot happen with a frozen body: find out what the bank holds under this key.
      this.log.error(`repayment ${c.key}: the bank holds a different body under this key`);
      return this.answerLost(c, 'HTTP 409');
    }
    this.log.error(`repayment ${c.key} refused with HTTP ${status}: ${String(answer.text).slice(0, 300)}`);
    c.dropped = true;
    this.track(c);
    return 'ok';
  }

  notTaken(c, reason) {
    c.state = NEW;
    if (this.on('outbox')) {
      c.nextAt = this.now + backoff(c.attempts);
      this.log.info(`repayment ${c.key} not taken by the bank (${reason}); retry ${c.attempts} at ${clock.formatInstant(c.nextAt, this.tz)}`);
    } else {
      c.dropped = true;
      this.log.error(`repayment ${c.key} not taken by the bank (${reason}); dropped`);
    }
    this.track(c);
    return 'down';
  }

  async answerLost(c, reason) {
    if (this.on('query-on-timeout')) {
      c.state = UNKNOWN;
      this.log.info(`repayment ${c.key}: no answer (${reason}); asking the bank before anything else`);
      this.track(c);
      await this.query(c);
    } else {
      // The obvious shortcut: no answer, no repayment. But the bank may well have posted it.
      this.log.info(`repayment ${c.key}: no answer (${reason}); taken as failed`);
      this.transition(c, FAIL, 'timeout', { code: 'TIMEOUT' });
    }
    return 'unknown';
  }

  async query(c) {
    c.polls += 1;
    const answer = await this.partners.call('bank', 'GET', `/repayments/${encodeURIComponent(c.key)}`);
    if (!answer.ok) {
      c.nextAt = this.now + backoff(c.polls);
      this.log.info(`repayment ${c.key}: query failed (${answer.reason})`);
    } else if (answer.status === 200) {
      this.adopt(c, answer.body, 'repayResultQuery');
    } else if (answer.status === 404) {
      this.log.info(`repayment ${c.key}: the bank never received it; sending it again`);
      c.state = NEW;
      c.nextAt = this.now;
      if (!this.on('outbox')) c.dropped = true;
      this.track(c);
    } else {
      c.nextAt = this.now + backoff(c.polls);
    }
  }

  adopt(c, result, via) {
    this.transition(c, result.repayStatus, via, { posted: result.postedAt, code: result.respCode });
  }

  /** Take the bank's word on a repayment, from repayApply, a query, a callback or the file. */
  transition(c, status, via, { posted = null, code = null } = {}) {
    const previous = c.state;
    if (this.on('monotonic-callbacks')) {
      if (TERMINAL.has(previous)) {
        if (status !== previous) this.log.warning(`repayment ${c.key}: ${status} via ${via} ignored, it is ${previous}`);
        return;
      }
      if (status === PROCESSING) {
        c.state = PROCESSING;
        c.nextAt = this.now + Math.max(CALLBACK_SLA, backoff(c.polls));
        this.track(c);
        return;
      }
    }
    c.state = status;
    c.respCode = code;
    if (status === PROCESSING) {
      c.nextAt = this.now + CALLBACK_SLA;
    } else if (status === SUCCESS) {
      c.writeOffs += 1;
      const at = posted ? clock.parseInstant(posted, this.tz) : NaN;
      c.postedAt = Number.isNaN(at) ? this.now : at;
      this.log.info(`repayment ${c.key} posted at the bank (${posted || '-'}, via ${via})`);
      if (this.on('corrections')) this.corrections.posted(c);
    } else if (status === FAIL) {
      this.log.warning(`repayment ${c.key} refused by the bank (${code}, via ${via}): refunding ${money.amount(c.amount)} to borrower ${c.borrowerId}`);
    }
    this.track(c);
  }

  async outboxJob(now) {
    const due = [...this.open]
      .map((key) => this.collections.get(key))
      .filter((c) => c.nextAt === null || c.nextAt <= now)
      .sort((a, b) => (a.nextAt ?? now) - (b.nextAt ?? now) || (a.key < b.key ? -1 : 1));
    let probe = null; // the one that found the bank not taking anything: the rest wait for it
    for (const c of due) {
      if (c.state === NEW) {
        if (probe) {
          c.nextAt = probe.nextAt;
          continue;
        }
        if ((await this.send(c)) === 'down') probe = c;
      } else if (c.state === UNKNOWN || c.state === PROCESSING) {
        await this.query(c);
      }
    }
  }

  // -- receivers ---------------------------------------------------------------------------------------

  /** In a signed run a delivery from the bank must verify before anything reads it (docs/signing.md). */
  checkDelivery(path, delivery) {
    if (!this.signing || !this.on('verify-callbacks')) return;
    if (delivery && delivery.headers) this.observe(delivery.headers['x-lendsim-virtual-time']);
    const why = delivery ? this.signing.check(path, delivery.headers, delivery.raw, this.now) : 'signature_missing';
    if (why !== null) {
      this.log.warning(`refused a delivery to ${path} that does not verify: ${why}`);
      throw new PlatformError(401, 'Unauthorized', why);
    }
  }

  async repayResultNotify(body, delivery) {
    this.checkDelivery('/callbacks/bank/repay-result', delivery);
    this.observe(body.notifiedAt);
    const c = this.collections.get(body.repayOuterNo);
    if (!c) {
      this.log.warning(`callback for a repayment we never sent: ${body.repayOuterNo}`);
      return ACK;
    }
    if (money.cents(body.repayAmount) !== c.amount) {
      this.reconciliation.breakNoted(`callback for ${c.key} says ${body.repayAmount}, we sent ${money.amount(c.amount)}`);
    }
    this.transition(c, body.repayStatus, 'callback', { code: body.respCode });
    return ACK;
  }

  async bankNotice(body, delivery) {
    this.checkDelivery('/callbacks/bank/notices', delivery);
    this.observe(body.sentAt);
    const loan = this.loans.get(body.loanOuterNo);
    if (!loan) return ACK;
    const no = body.installmentNo;
    const kind = body.noticeType;
    const onTime = this.collectedOnTime(loan, no);
    this.log.info(`bank notice ${body.noticeId} ${kind}: loan ${loan.no} installment ${no} (we collected it in time: ${onTime ? 'yes' : 'no'})`);
    if (kind === 'OVERDUE') loan.overdueNotices.add(no);
    if ((kind === 'OVERDUE' || kind === 'BUREAU_REPORTED') && this.on('corrections')) this.corrections.consider(loan.no, no);
    if (kind === 'BUREAU_CORRECTED') this.corrections.followNow(loan, no);
    if (kind === 'OVERDUE' && onTime) this.sms.reassure(loan, no);
    return ACK;
  }

  async smsReport(body) {
    for (const report of body) {
      this.observe(report.report_time);
      this.sms.receipt(report);
    }
    return { code: 0, msg: '成功' };
  }

  // -- what the platform knows about an installment -------------------------------------------------------

  payments(loan, no) {
    return loan.payments.filter((c) => c.state !== FAIL && c.lines.has(no));
  }

  /** Whether the platform holds all of installment `no`, every part of it collected by due date + grace. */
  collectedOnTime(loan, no, payments = this.payments(loan, no), deadline = this.deadline(loan, no)) {
    if (!payments.length || payments.some((c) => c.paidAt > deadline)) return false;
    const owed = this.owed(loan, no);
    return owed.principal + owed.interest + owed.fee === 0;
  }

  // -- how it talks about people -------------------------------------------------------------------------

  who(borrowerId) {
    const b = this.borrowers.get(borrowerId);
    if (this.on('masked-logs') || !b) return borrowerId;
    return `${borrowerId} ${b.name} (ID ${b.certNo}, phone ${b.phone}, card ${b.cardNo})`;
  }

  phone(number) {
    return this.on('masked-logs') ? maskPhone(number) : number;
  }
}

/** A short tag of the run id for this run's serials, so two runs never share a repayOuterNo. */
function tagOf(runId) {
  let hash = 2166136261;
  for (const ch of String(runId)) hash = Math.imul(hash ^ ch.codePointAt(0), 16777619) >>> 0;
  return hash.toString(36).toUpperCase().padStart(4, '0').slice(-4);
}

const range = (from, to) => Array.from({ length: Math.max(to - from + 1, 0) }, (_, i) => from + i);

module.exports = { DEFECTS, Platform, PlatformError, SAFEGUARDS };
