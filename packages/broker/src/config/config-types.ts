/**
 * Config value types and parsing shared by broker (`server.properties`) and topic configs.
 *
 * Kafka's ConfigDef types: BOOLEAN, STRING, INT, SHORT, LONG, DOUBLE, LIST, CLASS, PASSWORD.
 * The numeric `describeType` values are what DescribeConfigs v3+ reports (KIP-569).
 * Values are parsed strictly: "1O" is not an int, "yes" is not a boolean. LONG values are
 * JavaScript numbers; Kafka's Long.MAX_VALUE default ("9223372036854775807") is kept as
 * Number.MAX_SAFE_INTEGER, which means "never" everywhere it is used.
 */

export type ConfigType = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'class' | 'password';

export const CONFIG_DESCRIBE_TYPE: Readonly<Record<ConfigType, number>> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
};

/** DescribeConfigs config sources. */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;

export type ConfigValue = boolean | number | string | readonly string[] | null;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly key: string;
  readonly code: 'unknown-key' | 'bad-value' | 'syntax';
  constructor(code: ConfigError['code'], key: string, message: string) {
    super(message);
    this.code = code;
    this.key = key;
  }
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const LONG_MAX_TEXT = '9223372036854775807';

/** Parses `text` as a value of `type`; throws ConfigError naming `key`. `null` text stays null. */
export function parseConfigValue(key: string, type: ConfigType, text: string | null): ConfigValue {
  if (text === null) return null;
  const t = text.trim();
  const bad = (what: string): never => {
    throw new ConfigError('bad-value', key, `config ${key}: "${text}" is not ${what}`);
  };
  switch (type) {
    case 'boolean':
      if (t.toLowerCase() === 'true') return true;
      if (t.toLowerCase() === 'false') return false;
      return bad('a boolean (true or false)');
    case 'int':
    case 'short': {
      if (!/^[-+]?\d+$/.test(t)) return bad('an integer');
      const n = Number(t);
      const [lo, hi] = type === 'short' ? [-32768, 32767] : [INT32_MIN, INT32_MAX];
      if (n < lo || n > hi) return bad(`an integer in [${lo}, ${hi}]`);
      return n;
    }
    case 'long': {
      if (!/^[-+]?\d+$/.test(t)) return bad('an integer');
      if (t === LONG_MAX_TEXT) return Number.MAX_SAFE_INTEGER;
      const n = Number(t);
      if (!Number.isSafeInteger(n)) return bad(`an integer within ±${Number.MAX_SAFE_INTEGER}`);
      return n;
    }
    case 'double': {
      const n = Number(t);
      if (t === '' || !Number.isFinite(n)) return bad('a number');
      return n;
    }
    case 'list':
      return t === '' ? [] : t.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    case 'string':
    case 'class':
    case 'password':
      return t;
  }
}

/** The text form DescribeConfigs reports for a value. */
export function formatConfigValue(value: ConfigValue, type: ConfigType): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.join(',');
  if (type === 'long' && value === Number.MAX_SAFE_INTEGER) return LONG_MAX_TEXT;
  return String(value);
}
