/**
 * The store part of a PGO-style Task collection (SD "Verzamelen Aanbiedertaken"), in SQL over the
 * tables of migration 4, the way the FHIR server (issue 4) will answer
 *   GET /fhir/Task?patient=…&_tag=<DataService>&status:not=completed
 *       &_include=Task:digital-activity&_include=Task:based-on
 * Matches come from one index range (fhir_resource_patient); the tag and status checks and the
 * include references come from fhir_token by resource (fhir_token_resource).
 */
import type { Database, Statement } from "bun:sqlite";
import { DATA_SERVICE_TAG } from "../src/shared/fhir-profiles.ts";

type JsonRow = { type: string; id: string; json: string };

export interface Collection { matches: JsonRow[]; includes: JsonRow[] }

/**
 * Search tokens are numbers (migration 23): the match checks are point lookups in fhir_token's
 * primary key (k, v, r). Without the hints SQLite puts json_each innermost in the include join
 * (every Task of the DVA per included reference: seconds per collection at 10 000 tasks when tried
 * on the tables before). INDEXED BY and CROSS JOIN
 * (https://sqlite.org/optoverview.html#manual_control_of_query_plans_using_cross_join) pin the
 * plan to the patient range and per-resource lookups.
 */
function matchSql(hinted: boolean): string {
  const check = (param: string, value: string, system: string | null) => `SELECT 1 FROM fhir_token t
                WHERE t.r = r.rid AND t.k ${system ? "=" : "IN"} (SELECT id FROM fhir_token_param WHERE dva = ?1 AND type = 'Task' AND param = '${param}'${system ? ` AND system = ${system}` : ""})
                  AND t.v = (SELECT id FROM fhir_token_value WHERE value = ${value})`;
  return `
  SELECT r.type, r.id, r.json FROM fhir_resource r${hinted ? " INDEXED BY fhir_resource_patient" : ""}
  WHERE r.dva = ?1 AND r.type = 'Task' AND r.patient = ?2 AND r.deleted = 0
    AND EXISTS (${check("_tag", "?4", "?3")})
    AND NOT EXISTS (${check("status", "'completed'", null)})
  ORDER BY r.last_updated`;
}

/** _include=Task:digital-activity and Task:based-on for the matched ids (a JSON array). */
function includeSql(hinted: boolean): string {
  const join = hinted ? "CROSS JOIN" : "JOIN";
  return `
  SELECT DISTINCT i.type, i.id, i.json
  FROM json_each(?1) m
  ${join} fhir_resource r ON r.dva = ?2 AND r.type = 'Task' AND r.id = m.value
  ${join} fhir_token t${hinted ? " INDEXED BY fhir_token_resource" : ""} ON t.r = r.rid
  ${join} fhir_token_param k ON k.id = t.k AND k.param IN ('digital-activity', 'based-on')
  ${join} fhir_token_value v ON v.id = t.v
  ${join} fhir_resource i ON i.dva = ?2 AND i.type = substr(v.value, 1, instr(v.value, '/') - 1)
                      AND i.id = substr(v.value, instr(v.value, '/') + 1) AND i.deleted = 0`;
}

export class TaskCollection {
  private readonly match: Statement<JsonRow, [string, string, string, string]>;
  private readonly include: Statement<JsonRow, [string, string]>;

  constructor(private readonly db: Database) {
    this.match = db.query(matchSql(true));
    this.include = db.query(includeSql(true));
  }

  /** The SQL part only: rows with their stored JSON text. */
  rows(dva: string, patientRef: string): Collection {
    const matches = this.match.all(dva, patientRef, DATA_SERVICE_TAG.system, DATA_SERVICE_TAG.code);
    const includes = matches.length ? this.include.all(JSON.stringify(matches.map((m) => m.id)), dva) : [];
    return { matches, includes };
  }

  /** Rows, parsed, as the searchset Bundle text the HTTP response would carry. */
  bundle(dva: string, patientRef: string, base: string): string {
    const { matches, includes } = this.rows(dva, patientRef);
    const entry = (mode: "match" | "include") => (r: JsonRow) => ({
      fullUrl: `${base}/${r.type}/${r.id}`, resource: JSON.parse(r.json) as unknown, search: { mode },
    });
    return JSON.stringify({
      resourceType: "Bundle", type: "searchset", total: matches.length,
      entry: [...matches.map(entry("match")), ...includes.map(entry("include"))],
    });
  }

  /** EXPLAIN QUERY PLAN of both statements (with or without the hints), to show the indexes used. */
  plans(hinted = true): { match: string; include: string } {
    const plan = (sql: string, params: string[]) => this.db.query<{ detail: string }, string[]>(`EXPLAIN QUERY PLAN ${sql}`)
      .all(...params).map((r) => r.detail).join("; ");
    return { match: plan(matchSql(hinted), ["x", "x", "x", "x"]), include: plan(includeSql(hinted), ["[]", "x"]) };
  }
}
