/**
 * Table 12's summary of a `bun --cpu-prof` profile (bench/profile.ts): self and inclusive shares
 * per function, counted over the samples that ran code, without the statement profiler's own.
 */
import { expect, test } from "bun:test";
import { summariseCpuProfile } from "../../../bench/profile.ts";

const frame = (functionName: string, url = "") => ({ functionName, url, lineNumber: 0 });

test("self and inclusive shares; idle and the statement profiler's samples are not the sandbox's work", () => {
  const profile = {
    nodes: [
      { id: 1, callFrame: frame("(root)"), children: [2, 5, 6] },
      { id: 2, callFrame: frame("handle", "file:///x/src/dva/fhir/index.ts"), children: [3, 4] },
      { id: 3, callFrame: frame("get") },
      { id: 4, callFrame: frame("now", "file:///x/bench/statement-profile.ts") },
      { id: 5, callFrame: frame("(idle)") },
      { id: 6, callFrame: frame("flush", "file:///x/src/shared/chain-log.ts"), children: [7] },
      { id: 7, callFrame: frame("run") },
    ],
    samples: [3, 3, 3, 4, 4, 5, 5, 5, 7, 6],
    timeDeltas: [10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
  };
  const { self, inclusive } = summariseCpuProfile(profile);
  expect(self).toEqual([["get", 0.6], ["run", 0.2], ["flush (shared/chain-log.ts)", 0.2]]);
  expect(inclusive).toEqual([["handle (dva/fhir/index.ts)", 0.6], ["flush (shared/chain-log.ts)", 0.4]]);
});
