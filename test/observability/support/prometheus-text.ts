/**
 * A strict reader of the Prometheus text exposition format (0.0.4): every line must be a HELP or
 * TYPE comment or a sample, every sample's family must be declared, values must be numbers.
 */
export interface Exposition {
  types: Map<string, string>;
  /** `name{label="value",...}` (labels sorted) → value. */
  samples: Map<string, number>;
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?,?\\})? (\\S+)(?: -?\\d+)?$`);
const HELP = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SUFFIXES = ["_bucket", "_sum", "_count", "_total", ""];

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  text.split("\n").forEach((line, index) => {
    if (line === "" || HELP.test(line)) return;
    const typed = TYPE.exec(line);
    if (typed) {
      types.set(typed[1]!, typed[2]!);
      return;
    }
    const sample = SAMPLE.exec(line);
    if (!sample) throw new Error(`line ${index + 1} is not Prometheus text: ${JSON.stringify(line)}`);
    const [, name, labels, raw] = sample;
    const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
    if (Number.isNaN(value) && raw !== "NaN") throw new Error(`line ${index + 1}: ${raw} is not a number`);
    if (!SUFFIXES.some((suffix) => name!.endsWith(suffix) && types.has(name!.slice(0, name!.length - suffix.length)))) {
      throw new Error(`line ${index + 1}: ${name} has no # TYPE`);
    }
    samples.set(key(name!, labels), value);
  });
  return { types, samples };
}

/** The sample key for `name` with `labels`, as parseExposition stores it. */
export function sampleKey(name: string, labels: Record<string, string> = {}): string {
  const pairs = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  return key(name, pairs.join(","));
}

function key(name: string, labels: string | undefined): string {
  if (!labels) return name;
  const pairs = labels.match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? [];
  return `${name}{${[...pairs].sort().join(",")}}`;
}
