#!/usr/bin/env node
'use strict';
// A lending platform under test, in Node.js with no dependencies: it serves contracts/platform.yaml over HTTP
// (node:http) and calls the bank, bureau and SMS gateway with the global fetch.
//
//   node examples/node_platform/server.js --port 9000
//   lendsim run scenarios/*.yaml --platform http://127.0.0.1:9000
//
// Options (or environment): --host (HOST, default 127.0.0.1), --port (PORT, default 9000; 0 picks a free
// port, printed on the first line), --bank-timeout / --sms-timeout seconds (5), --grace-days (3).
// LENDSIM_NODE_DEFECT=no-dedupe (comma-separated; see DEFECTS in lib/platform.js) switches safeguards off
// to make a defective copy.

const http = require('node:http');
const { OPERATIONS, validate } = require('./lib/contract');
const { isDateTime } = require('./lib/clock');
const { MoneyError } = require('./lib/money');
const { DEFECTS, Platform, PlatformError } = require('./lib/platform');

const MAX_BODY = 1024 * 1024;
const VIRTUAL_TIME = 'x-lendsim-virtual-time';
const PROBLEM = 'application/problem+json';
const USAGE = `usage: node server.js [--host HOST] [--port PORT] [--bank-timeout SECONDS] [--sms-timeout SECONDS] [--grace-days N]
environment: HOST, PORT, LENDSIM_NODE_DEFECT=${Object.keys(DEFECTS).join('|')} (comma-separated)`;

class UsageError extends Error {}

function parseArgs(argv, env) {
  const options = {
    host: env.HOST || '127.0.0.1',
    port: env.PORT !== undefined ? env.PORT : '9000',
    bankTimeout: '5',
    smsTimeout: '5',
    graceDays: '3',
  };
  const names = { '--host': 'host', '--port': 'port', '--bank-timeout': 'bankTimeout', '--sms-timeout': 'smsTimeout', '--grace-days': 'graceDays' };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    if (flag === '-h' || flag === '--help') throw new UsageError('');
    const name = names[flag];
    if (!name) throw new UsageError(`unknown option ${JSON.stringify(argv[i])}`);
    const value = inline !== undefined ? inline : argv[(i += 1)];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    options[name] = value;
  }
  const number = (flag, text, { integer = false, min = 0, max = Infinity } = {}) => {
    const value = Number(text);
    if (text === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      throw new UsageError(`${flag} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(text)}`);
    }
    return value;
  };
  const disabled = [];
  for (const name of (env.LENDSIM_NODE_DEFECT || '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!DEFECTS[name]) {
      throw new UsageError(`LENDSIM_NODE_DEFECT: unknown defect ${JSON.stringify(name)}; choose from ${Object.keys(DEFECTS).join(', ')}`);
    }
    disabled.push(DEFECTS[name]);
  }
  return {
    host: options.host,
    port: number('--port', String(options.port), { integer: true, max: 65535 }),
    timeouts: {
      bank: number('--bank-timeout', options.bankTimeout, { min: 0.001, max: 600 }) * 1000,
      bureau: number('--bank-timeout', options.bankTimeout, { min: 0.001, max: 600 }) * 1000,
      sms: number('--sms-timeout', options.smsTimeout, { min: 0.001, max: 600 }) * 1000,
    },
    graceDays: number('--grace-days', options.graceDays, { integer: true, max: 30 }),
    disabled,
    defects: (env.LENDSIM_NODE_DEFECT || '').trim(),
  };
}

const problem = (status, title, detail, extra = {}) => ({
  type: extra.type || `urn:lendsim:problem:${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
  title,
  status,
  detail,
  operation: null,
  ...extra,
});

/** One request at a time through the platform: a callback never interleaves with a tick half-way. */
function serialised() {
  let tail = Promise.resolve();
  return (work) => {
    const result = tail.then(work);
    tail = result.catch(() => undefined);
    return result;
  };
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let tooLarge = Number(request.headers['content-length'] || 0) > MAX_BODY;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) tooLarge = true;
      else if (!tooLarge) chunks.push(chunk);
    });
    request.on('end', () => resolve({ body: tooLarge ? null : Buffer.concat(chunks), tooLarge }));
    request.on('error', reject);
  });
}

function createServer(platform) {
  const exclusive = serialised();

  async function handle(request) {
    const url = new URL(request.url, 'http://platform.invalid');
    const stamp = request.headers[VIRTUAL_TIME];
    const onPath = OPERATIONS.filter((op) => op.path === url.pathname);
    const operation = onPath.find((op) => op.method === request.method);
    const { body, tooLarge } = await readBody(request);
    if (!operation) {
      if (onPath.length) {
        const allow = onPath.map((op) => op.method).join(', ');
        return [405, problem(405, 'Method Not Allowed', `${request.method} is not served at ${url.pathname}; use ${allow}`), { allow }];
      }
      return [404, problem(404, 'Not Found', `no operation of the platform contract at ${request.method} ${url.pathname}`)];
    }
    const op = { operation: operation.id };
    if (stamp !== undefined && !isDateTime(stamp)) {
      const errors = [{ field: 'header.X-Lendsim-Virtual-Time', rule: 'format', message: `${JSON.stringify(stamp)} is not a 'date-time'` }];
      return [400, contractProblem(operation, errors), {}, false];
    }
    if (tooLarge) {
      return [413, problem(413, 'Request body too large', `the body is larger than ${MAX_BODY} bytes (1 MiB)`, { ...op, type: 'urn:lendsim:problem:payload-too-large' })];
    }
    let value;
    if (operation.schema) {
      const type = String(request.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
      if (type !== 'application/json' && !/^application\/[a-z0-9.+-]*\+json$/.test(type)) {
        return [415, problem(415, 'Unsupported media type', `Content-Type ${JSON.stringify(type || '(none)')} is not accepted; send application/json.`, { ...op, type: 'urn:lendsim:problem:unsupported-media-type' })];
      }
      if (!body.length) return [400, contractProblem(operation, [{ field: 'body', rule: 'required', message: 'a request body is required' }])];
      try {
        value = JSON.parse(body.toString('utf8'));
      } catch (error) {
        return [400, contractProblem(operation, [{ field: 'body', rule: 'json', message: `malformed JSON: ${error.message}` }])];
      }
      const errors = validate(operation.schema, value);
      if (errors.length) return [400, contractProblem(operation, errors)];
    }
    return exclusive(async () => {
      platform.observe(stamp);
      try {
        // the bank's deliveries get the headers and the bytes as they came, to check the signature
        const answer = await platform[operation.id](value, { headers: request.headers, raw: body });
        return [operation.status, answer];
      } catch (error) {
        if (error instanceof PlatformError) return [error.status, problem(error.status, error.title, error.detail, op)];
        if (error instanceof MoneyError) return [400, problem(400, 'Bad amount', error.message, op)];
        platform.log.error(`platform failed on ${operation.id}: ${error && error.stack ? error.stack.split('\n').slice(0, 3).join(' | ') : error}`);
        return [500, problem(500, 'Platform error', `${error && error.name}: ${error && error.message}`.slice(0, 500), op)];
      }
    });
  }

  return http.createServer((request, response) => {
    handle(request)
      .catch((error) => [500, problem(500, 'Platform error', String(error).slice(0, 500))])
      .then(([status, answer, headers = {}]) => {
        const payload = Buffer.from(JSON.stringify(answer));
        const stamp = platform.nowText() || request.headers[VIRTUAL_TIME];
        const out = {
          'content-type': status >= 400 ? PROBLEM : 'application/json',
          'content-length': payload.length,
          ...headers,
        };
        if (stamp && isDateTime(stamp)) out[VIRTUAL_TIME] = stamp;
        response.writeHead(status, out);
        response.end(payload);
      });
  });
}

function contractProblem(operation, errors) {
  const many = errors.length > 1;
  return problem(
    400,
    'Request does not match the contract',
    `${errors.length} field${many ? 's' : ''} violate${many ? '' : 's'} the platform contract; first: ${errors[0].field}: ${errors[0].message}`,
    { type: 'urn:lendsim:problem:contract-violation', operation: operation.id, errors },
  );
}

function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(error.message ? `error: ${error.message}\n${USAGE}\n` : `${USAGE}\n`);
    process.exit(error.message ? 2 : 0);
  }
  const platform = new Platform({ disabled: options.disabled, timeouts: options.timeouts, graceDays: options.graceDays });
  const server = createServer(platform);
  server.keepAliveTimeout = 65_000;
  server.on('error', (error) => {
    process.stderr.write(`error: cannot listen on ${options.host}:${options.port}: ${error.message}\n`);
    process.exit(2);
  });
  server.listen(options.port, options.host, () => {
    const { port } = server.address();
    const defects = options.defects ? ` — DEFECTIVE: ${options.defects}` : '';
    process.stdout.write(`node platform listening on http://${options.host}:${port} (contracts/platform.yaml)${defects}\n`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    if (server.closeAllConnections) server.closeAllConnections(); // Node 18.2 and later
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) main();

module.exports = { createServer, parseArgs };
