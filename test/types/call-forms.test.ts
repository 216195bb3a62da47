/**
 * The arguments and results of every call form are typed (issue 12, item 9). `tsc --noEmit` (in
 * `npm run lint`) checks this file: a `@ts-expect-error` line that stops being an error fails it,
 * so loosening a signature cannot pass unnoticed. The vitest run only confirms the file loads.
 */
import { describe, expectTypeOf, it } from "vitest";
import { Reprise, type AsyncContext, type Context, type Future, type Handle, type Options } from "../../src/index.js";

function greet(_ctx: Context, name: string): string {
  return `hello ${name}`;
}

async function fetchCount(_ctx: Context, from: number, to: number): Promise<number> {
  return to - from;
}

function noArgs(_ctx: Context): boolean {
  return true;
}

function optional(_ctx: Context, name: string, times?: number): string {
  return name.repeat(times ?? 1);
}

function* child(ctx: Context, name: string): Generator<unknown, string, unknown> {
  return yield* ctx.run(greet, name);
}

function* workflow(ctx: Context, name: string): Generator<unknown, number, unknown> {
  const greeting = yield* ctx.run(greet, name);
  return greeting.length;
}

async function asyncWorkflow(ctx: AsyncContext, name: string, count: number): Promise<string> {
  return `${await ctx.run(greet, name)} ${count}`;
}

/** Type checks only: never called (a Reprise here would open a store). */
export async function callForms(reprise: Reprise, options: Options): Promise<void> {
  // reprise.run / beginRun with a function: its arguments, optionally Options after them.
  expectTypeOf(await reprise.run("a", workflow, "x")).toEqualTypeOf<number>();
  expectTypeOf(await reprise.run("a", workflow, "x", options)).toEqualTypeOf<number>();
  expectTypeOf(await reprise.run("a", asyncWorkflow, "x", 1)).toEqualTypeOf<string>();
  expectTypeOf(await reprise.beginRun("a", workflow, "x")).toEqualTypeOf<Handle<number>>();
  expectTypeOf(await reprise.beginRun("a", asyncWorkflow, "x", 1, options)).toEqualTypeOf<Handle<string>>();
  // @ts-expect-error a number where the workflow takes a string
  await reprise.run("y", workflow, 42);
  // @ts-expect-error a missing argument
  await reprise.run("y", workflow);
  // @ts-expect-error an argument too many
  await reprise.run("y", workflow, "x", "extra");
  // @ts-expect-error Options in the middle
  await reprise.run("y", asyncWorkflow, "x", options, 1);
  // @ts-expect-error a wrong argument to beginRun
  await reprise.beginRun("y", asyncWorkflow, "x", "1");
  // @ts-expect-error the result is a number, not a string
  expectTypeOf(await reprise.run("a", workflow, "x")).toEqualTypeOf<string>();

  // @ts-expect-error a result type from the context does not turn the check off
  const counted: number = await reprise.run("y", workflow, 42);
  expectTypeOf(counted).toEqualTypeOf<number>();

  // Resonate's form: a named result type (arguments unchecked), which must be the function's result.
  expectTypeOf(await reprise.run<number>("a", workflow, "x")).toEqualTypeOf<number>();
  expectTypeOf(await reprise.beginRun<string>("a", asyncWorkflow, "x", 1)).toEqualTypeOf<Handle<string>>();
  // @ts-expect-error the workflow returns a number
  await reprise.run<string>("a", workflow, "x");
  // @ts-expect-error the workflow returns a string
  await reprise.beginRun<number>("a", asyncWorkflow, "x", 1);

  // By registered name: arguments unchecked (the name could be anything), the result chosen by the caller.
  expectTypeOf(await reprise.run("a", "workflow", 42, { any: "thing" })).toEqualTypeOf<unknown>();
  expectTypeOf(await reprise.run<number>("a", "workflow", "x", options)).toEqualTypeOf<number>();
  expectTypeOf(await reprise.beginRun<number>("a", "workflow")).toEqualTypeOf<Handle<number>>();

  // register(...).run / beginRun: bound to the function's arguments, Options allowed last.
  const registered = reprise.register(workflow);
  const named = reprise.register("async", asyncWorkflow);
  expectTypeOf(await registered.run("a", "x")).toEqualTypeOf<number>();
  expectTypeOf(await registered.run("a", "x", options)).toEqualTypeOf<number>();
  expectTypeOf(await named.beginRun("a", "x", 2, options)).toEqualTypeOf<Handle<string>>();
  // @ts-expect-error a number where the workflow takes a string
  await registered.run("x", 42);
  // @ts-expect-error a missing argument
  await named.run("x", "name");
  // @ts-expect-error a wrong argument to beginRun
  await named.beginRun("x", "name", "2");
}

/** ctx.run / ctx.beginRun in a generator workflow. */
export function* generatorForms(ctx: Context): Generator<unknown, void, unknown> {
  const options = ctx.options({ timeout: 1000 });
  expectTypeOf(yield* ctx.run(greet, "x")).toEqualTypeOf<string>();
  expectTypeOf(yield* ctx.run(greet, "x", options)).toEqualTypeOf<string>();
  expectTypeOf(yield* ctx.run(fetchCount, 1, 2)).toEqualTypeOf<number>();
  expectTypeOf(yield* ctx.run(noArgs)).toEqualTypeOf<boolean>();
  expectTypeOf(yield* ctx.run(noArgs, options)).toEqualTypeOf<boolean>();
  expectTypeOf(yield* ctx.run(optional, "x")).toEqualTypeOf<string>();
  expectTypeOf(yield* ctx.run(optional, "x", 2, options)).toEqualTypeOf<string>();
  expectTypeOf(yield* ctx.run(child, "x")).toEqualTypeOf<string>();
  expectTypeOf(yield* ctx.beginRun(fetchCount, 1, 2)).toEqualTypeOf<Future<number>>();
  expectTypeOf(yield* ctx.beginRun(child, "x", options)).toEqualTypeOf<Future<string>>();
  // @ts-expect-error a number where the step takes a string
  yield* ctx.run(greet, 42);
  // @ts-expect-error a missing argument
  yield* ctx.run(fetchCount, 1);
  // @ts-expect-error an argument too many
  yield* ctx.run(noArgs, 1);
  // @ts-expect-error Options in the middle
  yield* ctx.run(fetchCount, 1, options, 2);
  // @ts-expect-error a wrong argument to beginRun
  yield* ctx.beginRun(child, 1);
  // @ts-expect-error a wrong argument to a child workflow
  yield* ctx.run(child, 1, options);
}

/** ctx.run / ctx.beginRun in an async workflow. */
export async function asyncForms(ctx: AsyncContext): Promise<void> {
  const options = ctx.options({ timeout: 1000 });
  expectTypeOf(await ctx.run(greet, "x")).toEqualTypeOf<string>();
  expectTypeOf(await ctx.run(fetchCount, 1, 2, options)).toEqualTypeOf<number>();
  expectTypeOf(await ctx.run(noArgs)).toEqualTypeOf<boolean>();
  expectTypeOf(await ctx.run(child, "x")).toEqualTypeOf<string>();
  expectTypeOf(await ctx.beginRun(fetchCount, 1, 2)).toEqualTypeOf<Future<number>>();
  expectTypeOf(await ctx.beginRun(greet, "x", options)).toEqualTypeOf<Future<string>>();
  // @ts-expect-error a number where the step takes a string
  await ctx.run(greet, 42);
  // @ts-expect-error a missing argument
  await ctx.run(fetchCount, 1);
  // @ts-expect-error an argument too many
  await ctx.run(noArgs, 1);
  // @ts-expect-error a wrong argument to beginRun
  await ctx.beginRun(greet, 42, options);
}

describe("call-form types", () => {
  it("is checked by tsc (npm run lint); the functions here are never called", () => {
    expectTypeOf(callForms).toBeFunction();
    expectTypeOf(generatorForms).toBeFunction();
    expectTypeOf(asyncForms).toBeFunction();
  });
});
