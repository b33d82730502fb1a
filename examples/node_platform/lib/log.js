'use strict';
// The platform's log: one line per event on stdout, stamped with the platform's *virtual* time, never the
// wall clock. Personal data is minimised twice over: the code names borrowers by their opaque id and masks
// phone numbers itself, and every line goes through maskText on its way out, whatever put a number there —
// an 18-character resident ID keeps its first and last 4 characters, a 16–19-digit card number its first
// and last 4 digits, an 11-digit mainland mobile its first 3 and last 4.

const NUMBERS = new RegExp(
  [
    '(?<![0-9A-Za-z])(?<id>[1-9]\\d{16}[\\dXx])(?![0-9A-Za-z])',
    '(?<![0-9A-Za-z])(?<card>\\d{16,19}|\\d{4}(?:[ -]\\d{4}){3}(?:[ -]?\\d{1,3})?)(?![0-9A-Za-z])',
    '(?<![0-9A-Za-z])(?<phone>1[3-9]\\d{9})(?![0-9A-Za-z]|\\.\\d)',
  ].join('|'),
  'g',
);

/** Star every letter or digit of `value` but the first `head` and the last `tail` of them. */
function keep(value, head, tail) {
  const positions = [];
  for (let i = 0; i < value.length; i += 1) if (/[0-9A-Za-z]/.test(value[i])) positions.push(i);
  const chars = [...value];
  const hidden = positions.length <= head + tail ? positions : positions.slice(head, positions.length - tail);
  for (const i of hidden) chars[i] = '*';
  return chars.join('');
}

const maskPhone = (phone) => keep(phone, 3, 4);

/** `text` with every resident ID, card number and mobile number in it masked. */
function maskText(text) {
  return text.replace(NUMBERS, (match, ...args) => {
    const groups = args[args.length - 1];
    return groups.phone ? keep(match, 3, 4) : keep(match, 4, 4);
  });
}

class Log {
  /**
   * @param {{masked: boolean, clock: () => string | null, write?: (line: string) => void}} options
   *   `clock` gives the virtual time to stamp a line with; `write` where lines go (stdout).
   */
  constructor({ masked, clock, write }) {
    this.masked = masked;
    this.clock = clock;
    this.write = write || ((line) => process.stdout.write(`${line}\n`));
  }

  info(message) {
    this.emit('INFO', message);
  }

  warning(message) {
    this.emit('WARNING', message);
  }

  error(message) {
    this.emit('ERROR', message);
  }

  emit(level, message) {
    const text = `${this.clock() || '-'} ${level} ${message}`;
    this.write(this.masked ? maskText(text) : text);
  }
}

module.exports = { Log, maskPhone, maskText };
