/**
 * The JSON body parser, in place of Fastify's: it refuses a body nested deeper than the limit
 * with one linear scan before JSON.parse runs (a 2 MB body of a million `[` cost a second of CPU
 * to parse, and a deep REST value overflowed the stack when it was walked), and names what it
 * refused. Keys that would rewrite a prototype when an object is copied (`__proto__`, and
 * `constructor.prototype`) are refused, as Fastify's parser refused them, but with a message that
 * says so rather than calling the document invalid JSON.
 */
import type { FastifyInstance } from "fastify";
import { jsonDepthExceeds } from "../protocol/payload.js";

const BAD_REQUEST = 400;

export function registerJsonBody(app: FastifyInstance, maxDepth: number): void {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = body as string;
    // No body at all is no body (a REST action with nothing to say), not a malformed one.
    if (text === "") return done(null, undefined);
    if (jsonDepthExceeds(text, maxDepth)) return done(refusal("REPRISE_JSON_TOO_DEEP", `JSON nested at most ${maxDepth} levels deep`), undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return done(refusal("FST_ERR_CTP_INVALID_JSON_BODY", "a valid JSON document"), undefined);
    }
    // Only text that could spell such a key (directly or with \u escapes) is walked.
    const key = /proto|\\u/.test(text) ? poisonedKey(parsed) : undefined;
    if (key !== undefined) return done(refusal("REPRISE_JSON_PROTO_KEY", `no key named ${key} (it would rewrite an object's prototype)`), undefined);
    done(null, parsed);
  });
}

/** An error the app's error handler turns into a 400 whose `expected` is `message`. */
export class BodyRefusal extends Error {
  readonly statusCode = BAD_REQUEST;
  constructor(
    readonly code: string,
    readonly expected: string,
  ) {
    super(`body: expected ${expected}`);
  }
}

function refusal(code: string, expected: string): BodyRefusal {
  return new BodyRefusal(code, expected);
}

/** `__proto__` or `constructor.prototype` if some object in `value` has it; iterative (depth is already bounded). */
function poisonedKey(value: unknown): string | undefined {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item !== "object" || item === null) continue;
    if (Object.prototype.hasOwnProperty.call(item, "__proto__")) return "__proto__";
    const ctor = (item as { constructor?: unknown }).constructor;
    if (Object.prototype.hasOwnProperty.call(item, "constructor") && typeof ctor === "object" && ctor !== null && Object.prototype.hasOwnProperty.call(ctor, "prototype")) {
      return "constructor.prototype";
    }
    for (const child of Object.values(item)) stack.push(child);
  }
  return undefined;
}
