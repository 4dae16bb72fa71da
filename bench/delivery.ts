/**
 * What delivering the SD 4.5 lines to MedMij Beheer costs (issue 13): an in-process sandbox does
 * `reads` FHIR reads (GET /fhir/Task/<id> with a system token; each writes two lines at the DVA's
 * FHIR host), with the delivery timer stopped; then the DVA delivers them all (read from the chain
 * log, POST as NDJSON over HTTP, checked line by line and stored by the logging interface). Both
 * are measured as this process's CPU time (client and server share it), so the delivery's cost
 * reads per line and per FHIR read next to the read itself.
 */
import { BATCHES_PER_TICK, DELIVERY_BATCH_LINES, DELIVERY_INTERVAL_MS } from "../src/shared/log-delivery.ts";
import { startTestSandbox } from "../test/helpers/sandbox.ts";
import { count, ms, type Row } from "./report.ts";

const cpuMs = (since: NodeJS.CpuUsage) => { const u = process.cpuUsage(since); return (u.user + u.system) / 1000; };
const us = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} µs`;

export async function benchDelivery(reads: number, log: (line: string) => void): Promise<{ rows: Row[]; notes: string[] }> {
  const sandbox = await startTestSandbox();
  try {
    await sandbox.logDelivery.stop(); // no timer: this bench delivers when it says so
    const basic = `Basic ${Buffer.from("his-delinde:his-delinde-secret").toString("base64")}`;
    const token = (await (await fetch(`${sandbox.url("auth.zorgnet")}/token`, { method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic }, body: "grant_type=client_credentials" })).json()).access_token as string;
    const url = `${sandbox.url("fhir.zorgnet")}/fhir/Task/task-tom-delinde-leven-met-copd`;
    const headers = { authorization: `Bearer ${token}` };
    for (let i = 0; i < 200; i++) await (await fetch(url, { headers })).arrayBuffer(); // warm-up
    await sandbox.logDelivery.deliverAll();

    log(`delivery: ${count(reads)} FHIR reads, then their delivery to MedMij Beheer …`);
    const fhirHost = new URL(url).hostname;
    const cpuReads = process.cpuUsage();
    const loops = 16;
    let next = 0;
    await Promise.all(Array.from({ length: loops }, async () => {
      while (next++ < reads) await (await fetch(url, { headers })).arrayBuffer();
    }));
    const readCpu = cpuMs(cpuReads);
    sandbox.ctx.chain.flush();
    const lines = sandbox.ctx.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM chain_log WHERE location = ?").get(fhirHost)!.n;
    const delivered = sandbox.ctx.db.query<{ n: number }, []>("SELECT count(*) AS n FROM beheer_regel").get()!.n;

    const cpuDelivery = process.cpuUsage();
    const started = performance.now();
    await sandbox.logDelivery.deliverAll();
    const wall = performance.now() - started;
    const deliveryCpu = cpuMs(cpuDelivery);
    const newLines = sandbox.ctx.db.query<{ n: number }, []>("SELECT count(*) AS n FROM beheer_regel").get()!.n - delivered;
    const deliveries = sandbox.ctx.db.query<{ n: number; ok: number }, []>("SELECT count(*) AS n, sum(technisch_ok) AS ok FROM beheer_aanlevering").get()!;

    const perLine = (deliveryCpu * 1000) / Math.max(1, newLines);
    const perRead = (readCpu * 1000) / reads;
    const deliveryPerRead = perLine * 2;
    return {
      rows: [
        { measure: `FHIR read GET /fhir/Task/<id> (in-process, ${loops} loops; client included)`, value: `${us(perRead)} CPU per read`, target: "—", result: "info (the base)" },
        { measure: `delivering ${count(newLines)} lines (chain log → NDJSON POST → check → store)`, value: `${ms(deliveryCpu)} CPU · ${ms(wall)} wall`, target: "—", result: "info" },
        { measure: "delivery per line", value: `${us(perLine)} CPU`, target: "—", result: "info" },
        { measure: "delivery per FHIR read (2 lines)", value: `${us(deliveryPerRead)} CPU · ${((deliveryPerRead / perRead) * 100).toFixed(0)} % of the read`, target: "—", result: "info" },
      ],
      notes: [`${count(lines)} lines written at ${fhirHost}; ${count(deliveries.n)} deliveries of at most ${count(DELIVERY_BATCH_LINES)} lines, ${count(deliveries.ok)} technisch OK; the running sandbox delivers every ${DELIVERY_INTERVAL_MS / 1000} s, at most ${BATCHES_PER_TICK} deliveries per participant per tick`],
    };
  } finally {
    await sandbox.stop();
  }
}
