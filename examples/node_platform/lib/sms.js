'use strict';
// The platform's own SMS: after the bank tells a borrower their installment is overdue although the platform
// collected it in time, one "we will restore your credit record" message (template SMS_153055080) per loan
// and installment. The SMS ledger is keyed by the message's OutId, so a notice delivered three times queues
// one message; the gateway's SendSms is not idempotent, so after a lost answer the gateway's record of what
// it sent (QuerySendDetails) decides — never a blind resend. Messages go out between 08:00 and 21:00 local
// time only. Delivery receipts are idempotent on biz_id.

const clock = require('./clock');
const { backoff } = require('./states');

const CREDIT_RESTORE_TEMPLATE = 'SMS_153055080';
const SIGN_NAME = '小米金融';
const BANK_NAME = '民生银行';
const QUIET_UNTIL = 8 * 3600; // seconds since local midnight
const QUIET_FROM = 21 * 3600;
const BLIND_RETRIES = 3; // without sms-dedupe: what a naive client does after a timeout

/** `parts` joined with '-', shortened with a hash past 64 characters (the gateway's OutId limit). */
function outId(...parts) {
  const text = parts.join('-');
  if (text.length <= 64) return text;
  let hash = 2166136261;
  for (const ch of text) hash = Math.imul(hash ^ ch.codePointAt(0), 16777619) >>> 0;
  return `${text.slice(0, 55)}-${hash.toString(16).padStart(8, '0')}`;
}

class SmsOutbox {
  constructor(platform) {
    this.p = platform;
    this.tasks = new Map(); // ledger key (the OutId; a serial without sms-dedupe) → task
    this.open = new Set(); // keys of PENDING or UNKNOWN tasks
    this.receipts = new Set(); // biz_ids already acknowledged
  }

  reassure(loan, no) {
    const borrower = this.p.borrowers.get(loan.borrowerId);
    if (!borrower) return;
    const id = outId('rst', loan.no, no, CREDIT_RESTORE_TEMPLATE);
    let key = id;
    if (this.p.on('sms-dedupe')) {
      if (this.tasks.has(id)) {
        this.p.log.info(`SMS ${id} already in the SMS ledger; not sending it again`);
        return;
      }
    } else {
      key = this.p.serial('SM');
    }
    this.tasks.set(key, {
      outId: id,
      borrowerId: borrower.id,
      phone: borrower.phone,
      template: CREDIT_RESTORE_TEMPLATE,
      params: { bank: BANK_NAME },
      state: 'PENDING', // PENDING → SENT → DELIVERED / UNDELIVERED; UNKNOWN after a lost answer; FAILED
      bizId: null,
      attempts: 0,
      sentAt: null,
      nextAt: null,
    });
    this.open.add(key);
  }

  async run(now) {
    for (const key of [...this.open].sort()) {
      const task = this.tasks.get(key);
      if (task.state !== 'PENDING' && task.state !== 'UNKNOWN') {
        this.open.delete(key);
        continue;
      }
      if (task.nextAt !== null && task.nextAt > now) continue;
      const local = clock.localSeconds(now, this.p.tz);
      if (local < QUIET_UNTIL || local >= QUIET_FROM) {
        const today = this.p.localDate(now);
        task.nextAt = clock.zoned(local < QUIET_UNTIL ? today : clock.addDays(today, 1), '08:00', this.p.tz);
        continue;
      }
      if (task.state === 'PENDING') await this.send(task, now);
      else await this.lookUp(task, now);
      if (task.state !== 'PENDING' && task.state !== 'UNKNOWN') this.open.delete(key);
    }
  }

  async send(task, now) {
    const request = {
      PhoneNumbers: task.phone,
      SignName: SIGN_NAME,
      TemplateCode: task.template,
      TemplateParam: JSON.stringify(task.params),
      OutId: task.outId,
    };
    const tries = this.p.on('sms-dedupe') ? 1 : BLIND_RETRIES + 1;
    for (let i = 0; i < tries; i += 1) {
      task.attempts += 1;
      task.sentAt = now;
      const answer = await this.p.partners.call('sms', 'POST', '/send', { json: request });
      if (!answer.ok && answer.taken === false) {
        task.nextAt = now + backoff(task.attempts);
        this.p.log.info(`SMS ${task.outId} not sent (${answer.reason}); again later`);
        return;
      }
      if (!answer.ok) {
        if (this.p.on('sms-dedupe')) {
          task.state = 'UNKNOWN';
          this.p.log.info(`SMS ${task.outId}: no answer (${answer.reason}); checking before any resend`);
          await this.lookUp(task, now);
          return;
        }
        this.p.log.info(`SMS ${task.outId}: no answer (${answer.reason}); sending again`);
        task.state = 'FAILED'; // unless a later attempt gets an answer
        continue;
      }
      const body = answer.status === 200 && answer.body && typeof answer.body === 'object' ? answer.body : {};
      if (body.Code === 'OK') {
        task.state = 'SENT';
        task.bizId = body.BizId || null;
        this.p.log.info(`SMS ${task.outId} sent to ${this.p.phone(task.phone)} (${task.bizId})`);
      } else if (answer.status === 429 || answer.status >= 500) {
        task.nextAt = now + backoff(task.attempts);
      } else if (body.Code === 'isv.BUSINESS_LIMIT_CONTROL') {
        task.nextAt = now + clock.DAY;
      } else {
        task.state = 'FAILED';
        this.p.log.warning(`SMS ${task.outId} refused: ${body.Code || answer.status}`);
      }
      return;
    }
  }

  /** Ask the gateway whether it has the message (by OutId) before anything is sent again. */
  async lookUp(task, now) {
    const query = {
      PhoneNumber: task.phone,
      SendDate: this.p.localDate(task.sentAt ?? now).replaceAll('-', ''),
      PageSize: '50',
    };
    const answer = await this.p.partners.call('sms', 'GET', '/messages', { query });
    const body = answer.ok && answer.status === 200 && answer.body && typeof answer.body === 'object' ? answer.body : {};
    if (body.Code !== 'OK') {
      task.nextAt = now + backoff(task.attempts);
      return;
    }
    if ((body.SmsSendDetailDTOs || []).some((item) => item.OutId === task.outId)) {
      task.state = 'SENT';
      this.p.log.info(`SMS ${task.outId}: the gateway has it; not resending`);
    } else {
      task.state = 'PENDING';
      task.nextAt = now;
      this.p.log.info(`SMS ${task.outId}: the gateway never got it; it will be sent`);
    }
  }

  receipt(report) {
    if (this.receipts.has(report.biz_id)) return;
    this.receipts.add(report.biz_id);
    const task = report.out_id ? this.tasks.get(report.out_id) : undefined;
    if (task) {
      task.state = report.success ? 'DELIVERED' : 'UNDELIVERED';
      task.bizId = report.biz_id;
    }
    this.p.log.info(`SMS receipt ${report.out_id} to ${this.p.phone(report.phone_number)}: ${report.err_code}`);
  }
}

module.exports = { CREDIT_RESTORE_TEMPLATE, SmsOutbox };
