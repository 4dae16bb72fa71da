/**
 * Password logins against a hostile browser (issue 10), at the PGO and the clinician portal: an
 * unknown username costs the same hash verification as a wrong password, and repeated failures
 * for one username — known or not — are refused for a growing period with 429 and Retry-After.
 * Time is frozen with setSystemTime (the server runs in this process), never slept through.
 */
import { afterAll, afterEach, beforeAll, describe, expect, setSystemTime, spyOn, test } from "bun:test";
import type { Sandbox } from "../../src/sandbox.ts";
import { createLoginGuard } from "../../src/shared/login-guard.ts";
import { cookiesOf, get, hiddenInput, startTestSandbox } from "../helpers/sandbox.ts";

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startTestSandbox(); });
afterAll(() => sandbox.stop());
afterEach(() => { setSystemTime(); });

const PORTALS = [
  { name: "PGO", host: "pgo", users: ["tom", "koos"], home: "/" },
  { name: "clinician portal", host: "xis", users: ["dehaard", "vanrijn"], home: "/patienten" },
] as const;

/** One login attempt through the real form (fresh page, CSRF cookie and token). */
async function login(host: string, username: string, password: string): Promise<Response> {
  const page = await get(`${sandbox.url(host)}/login`);
  const html = await page.text();
  return get(`${sandbox.url(host)}/login`, {
    method: "POST", headers: { cookie: cookiesOf(page), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: hiddenInput(html, "_csrf"), next: "/", username, password }),
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const portal of PORTALS) {
  describe(`${portal.name} login`, () => {
    const [user, other] = portal.users;

    test("an unknown username verifies a hash, like a wrong password", async () => {
      await login(portal.host, user, "warm-up"); // the first attempt makes the dummy hash
      expect((await login(portal.host, user, user)).status).toBe(303);
      const verify = spyOn(Bun.password, "verify");
      try {
        expect((await login(portal.host, `onbekend-${portal.host}`, "geheim")).status).toBe(401);
        expect(verify).toHaveBeenCalledTimes(1);
        expect((await login(portal.host, user, "fout")).status).toBe(401);
        expect(verify).toHaveBeenCalledTimes(2);
      } finally {
        verify.mockRestore();
      }
      expect((await login(portal.host, user, user)).status).toBe(303);
      // And so both take about as long (medians, a wide bound: without a hash an unknown name is ~20× faster).
      const unknown: number[] = [];
      const wrong: number[] = [];
      for (let i = 0; i < 8; i++) {
        let started = performance.now();
        expect((await login(portal.host, `niemand-${i}`, "geheim")).status).toBe(401);
        unknown.push(performance.now() - started);
        started = performance.now();
        expect((await login(portal.host, i % 2 ? user : other, "fout")).status).toBe(401);
        wrong.push(performance.now() - started);
      }
      expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.4);
      for (const u of portal.users) expect((await login(portal.host, u, u)).status).toBe(303); // resets both
    });

    test("5 failures lock the username for 30 s (429, Retry-After), doubling; a success resets", async () => {
      let now = Date.parse("2030-01-07T10:00:00Z");
      setSystemTime(now);
      for (let i = 0; i < 5; i++) expect((await login(portal.host, user, `fout-${i}`)).status).toBe(401);
      const locked = await login(portal.host, user, user); // even the right password
      expect(locked.status).toBe(429);
      expect(locked.headers.get("retry-after")).toBe("30");
      const html = await locked.text();
      expect(html).toContain("Te veel mislukte pogingen. Probeer het over 30 seconden opnieuw.");
      expect(html).toContain('name="_csrf"'); // the login page again, ready for later
      expect(locked.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      // Another user is not affected.
      expect((await login(portal.host, other, other)).status).toBe(303);

      setSystemTime(now += 10_000);
      expect((await login(portal.host, user.toUpperCase(), user)).headers.get("retry-after")).toBe("20");

      // After the lock, the next failure locks again, twice as long.
      setSystemTime(now += 21_000);
      expect((await login(portal.host, user, "fout")).status).toBe(401);
      const longer = await login(portal.host, user, user);
      expect(longer.status).toBe(429);
      expect(longer.headers.get("retry-after")).toBe("60");

      setSystemTime(now += 61_000);
      const ok = await login(portal.host, user, user);
      expect(ok.status).toBe(303);
      expect(ok.headers.get("location")).toBe(portal.home);
      // Reset: four failures later the account still answers normally.
      for (let i = 0; i < 4; i++) expect((await login(portal.host, user, `fout-${i}`)).status).toBe(401);
      expect((await login(portal.host, user, user)).status).toBe(303);
    });

    test("an unknown username locks the same way, so a lock tells nothing", async () => {
      setSystemTime(Date.parse("2030-01-08T10:00:00Z"));
      const name = `bestaat-niet-${portal.host}`;
      for (let i = 0; i < 5; i++) expect((await login(portal.host, name, "fout")).status).toBe(401);
      const locked = await login(portal.host, name, "fout");
      expect(locked.status).toBe(429);
      expect(locked.headers.get("retry-after")).toBe("30");
      expect(await locked.text()).toContain("Te veel mislukte pogingen.");
    });

    test("correct logins never count", async () => {
      for (let i = 0; i < 8; i++) expect((await login(portal.host, user, user)).status).toBe(303);
    });
  });
}

describe("login guard", () => {
  test("parallel attempts count before their hash is checked; failures older than 15 minutes are forgotten", () => {
    let now = 0;
    const guard = createLoginGuard("test", { now: () => now });
    // Seven at once, none verified yet: the sixth and seventh are refused.
    expect([1, 2, 3, 4, 5, 6, 7].map(() => guard.attempt("Tom"))).toEqual([0, 0, 0, 0, 0, 30, 30]);
    now = 15 * 60_000 + 1;
    expect(guard.attempt("tom")).toBe(0);
    guard.succeeded("tom");
    for (let i = 0; i < 4; i++) expect(guard.attempt("tom")).toBe(0);
  });

  test("each failure after a lock doubles it, up to 15 minutes", () => {
    let now = 0;
    const guard = createLoginGuard("test", { now: () => now, windowMs: Infinity });
    for (let i = 0; i < 5; i++) guard.attempt("x");
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const wait = guard.attempt("x");
      waits.push(wait);
      now += wait * 1000;
      expect(guard.attempt("x")).toBe(0);
    }
    expect(waits).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
  });

  test("a flood of made-up names does not wash out a lock (only unlocked names make room)", () => {
    let now = 0;
    const guard = createLoginGuard("test", { now: () => now, maxEntries: 100 });
    for (let i = 0; i < 5; i++) guard.attempt("tom");
    expect(guard.attempt("tom")).toBe(30);
    for (let i = 0; i < 1000; i++) guard.attempt(`made-up-${i}`);
    expect(guard.attempt("tom")).toBeGreaterThan(0);
    // Even a table full of locks drops the one that ends soonest, not the newest.
    for (let n = 0; n < 150; n++) for (let i = 0; i < 5; i++) guard.attempt(`locked-${n}`);
    now += 1000;
    expect(guard.attempt("locked-149")).toBeGreaterThan(0);
  });
});

