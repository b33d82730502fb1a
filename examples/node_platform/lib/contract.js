'use strict';
// The platform contract (contracts/platform.yaml) as this service reads it: its routes, and the request
// schemas written out by hand with a validator for the small part of JSON Schema they use. A request that
// breaks them is answered 400 with an RFC 9457 problem listing every offending field and rule.

const { isDate, isDateTime } = require('./clock');

const re = (source) => new RegExp(source);
const str = (pattern, minLength, maxLength, extra = {}) => ({ type: 'string', pattern: re(pattern), minLength, maxLength, ...extra });

const OPAQUE = str('^[A-Za-z0-9_-]{1,64}$', 1, 64);
const MONEY = str('^(0|[1-9][0-9]{0,11})\\.[0-9]{2}$', undefined, 15);
const POSITIVE_MONEY = str('^(0\\.(0[1-9]|[1-9][0-9])|[1-9][0-9]{0,11}\\.[0-9]{2})$', undefined, 15);
const DATE_TIME = { type: 'string', format: 'date-time' };
const INSTALLMENT = { type: 'integer', minimum: 1, maximum: 60 };
const URI = { type: 'string', format: 'uri', maxLength: 2048 };
const RESP_CODE = str('^[0-9A-Z]{4,8}$', undefined, 8);
const REPAY_STATUS = { type: 'string', enum: ['PROCESSING', 'SUCCESS', 'FAIL'] };

const object = (required, properties) => ({ type: 'object', required, properties, additionalProperties: false });

const RUN_SETUP = object(['runId', 'start', 'partners', 'borrowers', 'loans'], {
  runId: str('^[A-Za-z0-9_.-]{1,128}$', 1, 128),
  start: DATE_TIME,
  timezone: str('^[A-Za-z_]+(/[A-Za-z0-9_+-]+){0,2}$', 1, 64),
  partners: object(['bank', 'bureau', 'sms'], { bank: URI, bureau: URI, sms: URI }),
  borrowers: {
    type: 'array',
    maxItems: 5000,
    items: object(['borrowerId', 'name', 'certNo', 'phone', 'bankCardNo'], {
      borrowerId: OPAQUE,
      name: { type: 'string', minLength: 1, maxLength: 50 },
      certNo: str('^[0-9]{17}[0-9X]$', 18, 18),
      phone: str('^1[3-9][0-9]{9}$', 11, 11),
      bankCardNo: str('^[0-9]{12,19}$', 12, 19),
    }),
  },
  loans: {
    type: 'array',
    maxItems: 5000,
    items: object(['loanOuterNo', 'borrowerId', 'principal', 'term', 'dueDay', 'disburseDate', 'annualRate'], {
      loanOuterNo: OPAQUE,
      borrowerId: OPAQUE,
      principal: MONEY,
      term: { type: 'integer', minimum: 1, maximum: 60 },
      dueDay: { type: 'integer', minimum: 1, maximum: 28 },
      disburseDate: { type: 'string', format: 'date', maxLength: 10 },
      annualRate: str('^0\\.[0-9]{2,6}$', undefined, 8),
    }),
  },
});

RUN_SETUP.properties.signing = (() => {
  const key = object(['appId', 'keyId', 'secret', 'algorithm'], {
    appId: str('^[!-~]+$', 1, 128),
    keyId: str('^[!-~]+$', 1, 64),
    secret: { type: 'string', minLength: 1, maxLength: 128 },
    algorithm: { type: 'string', enum: ['HMAC-SHA256', 'HMAC-SM3'] },
  });
  return object(['window', 'key', 'bankKeys'], {
    window: str('^PT(([0-9]{1,4}(\\.[0-9]{1,3})?S)|([0-9]{1,2}M([0-9]{1,4}(\\.[0-9]{1,3})?S)?)|(1H))$', 4, 16),
    key,
    bankKeys: { type: 'array', minItems: 1, maxItems: 8, items: key },
  });
})();

const TICK = object(['now'], { now: DATE_TIME });

const BORROWER_REPAYMENT = object(['borrowerId', 'loanOuterNo', 'amount', 'repayType', 'paidAt'], {
  borrowerId: OPAQUE,
  loanOuterNo: OPAQUE,
  amount: POSITIVE_MONEY,
  installmentNo: INSTALLMENT,
  repayType: { type: 'string', enum: ['NORMAL_REPAY', 'EARLY_REPAY', 'EARLY_SETTLE', 'OVERDUE_REPAY'] },
  paidAt: DATE_TIME,
});

const REPAY_RESULT = object(
  ['respCode', 'respMsg', 'loanOuterNo', 'repayOuterNo', 'repayAmount', 'repayStatus', 'notifiedAt'],
  {
    respCode: RESP_CODE,
    respMsg: { type: 'string', maxLength: 256 },
    loanOuterNo: OPAQUE,
    repayOuterNo: OPAQUE,
    repayAmount: MONEY,
    repayStatus: REPAY_STATUS,
    notifiedAt: DATE_TIME,
  },
);

const BANK_NOTICE = object(
  ['noticeId', 'noticeType', 'loanOuterNo', 'installmentNo', 'dueDate', 'overdueDays', 'amountDue', 'sentAt', 'smsTemplateCode'],
  {
    noticeId: OPAQUE,
    noticeType: { type: 'string', enum: ['OVERDUE', 'BUREAU_REPORTED', 'BUREAU_CORRECTED'] },
    loanOuterNo: OPAQUE,
    installmentNo: INSTALLMENT,
    dueDate: { type: 'string', format: 'date' },
    overdueDays: { type: 'integer', minimum: 0, maximum: 10000 },
    amountDue: MONEY,
    sentAt: DATE_TIME,
    smsTemplateCode: { type: ['string', 'null'], pattern: re('^SMS_[0-9]{1,12}$'), maxLength: 16 },
  },
);

const SMS_REPORTS = {
  type: 'array',
  minItems: 1,
  maxItems: 100,
  items: object(
    ['phone_number', 'send_time', 'report_time', 'success', 'err_code', 'err_msg', 'sms_size', 'biz_id', 'out_id'],
    {
      phone_number: str('^1[3-9][0-9]{9}$', 11, 11),
      send_time: DATE_TIME,
      report_time: DATE_TIME,
      success: { type: 'boolean' },
      err_code: { type: 'string', minLength: 1, maxLength: 64 },
      err_msg: { type: 'string', maxLength: 256 },
      sms_size: { type: 'integer', minimum: 1, maximum: 10 },
      biz_id: str('^[0-9A-Za-z^_-]{1,64}$', 1, 64),
      out_id: { type: ['string', 'null'], maxLength: 64 },
    },
  ),
};

/** The operations: method, path, the request schema (null: no body), the success status. */
const OPERATIONS = [
  { id: 'setupRun', method: 'POST', path: '/harness/setup', schema: RUN_SETUP, status: 200 },
  { id: 'resetRun', method: 'POST', path: '/harness/reset', schema: null, status: 200 },
  { id: 'tick', method: 'POST', path: '/harness/tick', schema: TICK, status: 200 },
  { id: 'platformLedger', method: 'GET', path: '/harness/ledger', schema: null, status: 200 },
  { id: 'borrowerRepay', method: 'POST', path: '/app/repayments', schema: BORROWER_REPAYMENT, status: 202 },
  { id: 'repayResultNotify', method: 'POST', path: '/callbacks/bank/repay-result', schema: REPAY_RESULT, status: 200 },
  { id: 'bankNotice', method: 'POST', path: '/callbacks/bank/notices', schema: BANK_NOTICE, status: 200 },
  { id: 'smsReport', method: 'POST', path: '/callbacks/sms/reports', schema: SMS_REPORTS, status: 200 },
];

const typeOf = (value) => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
};

function isUri(text) {
  try {
    return Boolean(new URL(text).protocol);
  } catch {
    return false;
  }
}

const FORMATS = { 'date-time': isDateTime, date: isDate, uri: isUri };

/** Every way `value` breaks `schema`, as {field, rule, message}; an empty list when it fits. */
function validate(schema, value, field = 'body', errors = []) {
  const types = [].concat(schema.type || []);
  const actual = typeOf(value);
  if (types.length && !types.includes(actual) && !(actual === 'integer' && types.includes('number'))) {
    errors.push({ field, rule: 'type', message: `${JSON.stringify(value)} is not of type ${types.map((t) => `'${t}'`).join(' or ')}` });
    return errors;
  }
  if (schema.enum && !schema.enum.includes(value)) {
    errors.push({ field, rule: 'enum', message: `${JSON.stringify(value)} is not one of ${schema.enum.map((v) => `'${v}'`).join(', ')}` });
  }
  if (actual === 'string') {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) {
      errors.push({ field, rule: 'minLength', message: `${JSON.stringify(value)} is shorter than ${schema.minLength} characters` });
    }
    if (schema.maxLength !== undefined && length > schema.maxLength) {
      errors.push({ field, rule: 'maxLength', message: `${JSON.stringify(value).slice(0, 40)}… is longer than ${schema.maxLength} characters` });
    }
    if (schema.pattern && !schema.pattern.test(value)) {
      errors.push({ field, rule: 'pattern', message: `${JSON.stringify(value).slice(0, 80)} does not match '${schema.pattern.source}'` });
    }
    if (schema.format && FORMATS[schema.format] && !FORMATS[schema.format](value)) {
      errors.push({ field, rule: 'format', message: `${JSON.stringify(value).slice(0, 80)} is not a '${schema.format}'` });
    }
  }
  if (actual === 'integer' || actual === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) {
      errors.push({ field, rule: 'minimum', message: `${value} is less than the minimum of ${schema.minimum}` });
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      errors.push({ field, rule: 'maximum', message: `${value} is greater than the maximum of ${schema.maximum}` });
    }
  }
  if (actual === 'array') {
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      errors.push({ field, rule: 'minItems', message: `the list has ${value.length} items, fewer than ${schema.minItems}` });
    }
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      errors.push({ field, rule: 'maxItems', message: `the list has ${value.length} items, more than ${schema.maxItems}` });
    }
    if (schema.items) value.forEach((item, i) => validate(schema.items, item, `${field}[${i}]`, errors));
  }
  if (actual === 'object' && schema.properties) {
    for (const name of schema.required || []) {
      if (!(name in value)) errors.push({ field: `${field}.${name}`, rule: 'required', message: `'${name}' is a required property` });
    }
    for (const [name, item] of Object.entries(value)) {
      const sub = schema.properties[name];
      if (sub) validate(sub, item, `${field}.${name}`, errors);
      else if (schema.additionalProperties === false) {
        errors.push({ field: `${field}.${name}`, rule: 'additionalProperties', message: `unknown property '${name}'` });
      }
    }
  }
  return errors;
}

module.exports = { OPERATIONS, validate };
