import { describe, expect, it } from "vitest";
import { checkGoals } from "../../bench/lib/goals.js";

// The figures and floors of bench/results/2026-12-02-26.json.
const RUN_26 = {
  w1InTurns: { reprise: 17_530, resonate: 5_892 },
  w2Paired: { reprise: 3_299, floor: 4_655 },
  sqliteFull: { perRow: 5_110, perRowSeq: 3_715 },
  fsyncPerSecond: 7_311,
  postgres: { w1: 4_303, w2: 538, clusterW1: 6_297 },
  sleepers: { embedded: { seconds: 23.02, rssMiB: 315 }, server: { seconds: 31.86, serverRssMiB: 211, workerRssMiB: 210 } },
  recoveryMs: 2_841,
};

const byGoal = (inputs: Parameters<typeof checkGoals>[0]) => Object.fromEntries(checkGoals(inputs).map((check) => [check.goal, check]));

describe("the speed goals, judged by one run's figures", () => {
  it("translates the goals against Restate through this run's floors, as the issue's table does", () => {
    const goals = byGoal(RUN_26);
    // 2 x (1,423 / 3,400) x 5,110 = 4,277.4: 4,303 meets it.
    expect(goals["server on PostgreSQL, 1 worker: W1 at twice Restate's"]).toMatchObject({ met: true, target: expect.stringMatching(/^4,277 /) });
    // (423 / 2,056) x 3,715 = 764.3: 538 does not; 423 x 7,311 / 6,300 = 490.9: it does.
    expect(goals["server on PostgreSQL, 1 worker: W2 at Restate's"]).toMatchObject({ met: false, target: expect.stringMatching(/^764 /) });
    expect(goals["the same, Restate's W2 translated by fdatasync instead"]).toMatchObject({ met: true, target: expect.stringMatching(/^491 /) });
  });

  it("judges the ratios measured in turns and in pairs", () => {
    const goals = byGoal(RUN_26);
    expect(goals["embedded W1 at FULL, in turns with @resonatehq/sdk local mode"]).toMatchObject({ met: false, figure: expect.stringMatching(/^x2\.98 /) });
    expect(goals["embedded W2 at FULL, paired round by round with its floor"]).toMatchObject({ met: false, figure: expect.stringMatching(/^70\.9% /) });
    expect(goals["2 servers + 4 workers on PostgreSQL: W1 within 10% of one worker's"]).toMatchObject({ met: true, figure: "x1.46" });
    expect(byGoal({ ...RUN_26, w1InTurns: { reprise: 20_000, resonate: 5_000 } })["embedded W1 at FULL, in turns with @resonatehq/sdk local mode"]?.met).toBe(true);
  });

  it("needs both time and memory for the sleepers, and counts recovery from the process's start", () => {
    const goals = byGoal(RUN_26);
    expect(goals["100,000 sleepers, embedded: all suspended, and RSS"]?.met).toBe(false);
    expect(byGoal({ ...RUN_26, sleepers: { embedded: { seconds: 19.9, rssMiB: 315 } } })["100,000 sleepers, embedded: all suspended, and RSS"]?.met).toBe(true);
    expect(byGoal({ ...RUN_26, sleepers: { embedded: { seconds: 19.9, rssMiB: 1_100 } } })["100,000 sleepers, embedded: all suspended, and RSS"]?.met).toBe(false);
    expect(goals["recovery of 10,000 executions, from the fresh process's start"]).toMatchObject({ met: false, figure: "2,841 ms" });
    expect(byGoal({ ...RUN_26, recoveryMs: 1_000 })["recovery of 10,000 executions, from the fresh process's start"]?.met).toBe(true);
  });

  it("leaves a goal unjudged when this run did not measure what it needs", () => {
    const goals = byGoal({});
    expect(Object.values(goals).every((check) => check.met === undefined)).toBe(true);
    expect(goals["server on PostgreSQL, 1 worker: W1 at twice Restate's"]).toMatchObject({ figure: "not measured", target: "no floor measured" });
  });
});
