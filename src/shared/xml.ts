/**
 * The one place that builds and parses XML (STYLE habit 12). fast-xml-parser drops attributes
 * unless `ignoreAttributes: false` (PITFALLS.md).
 */
import { XMLBuilder, XMLParser } from "fast-xml-parser";

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: "@_", format: true, indentBy: "  ", suppressEmptyNode: false });

/** An XML document with declaration; `root` is `{ Name: { "@_xmlns": ..., ...children } }`. */
export function buildXml(root: Record<string, unknown>): string {
  return builder.build({ "?xml": { "@_version": "1.0", "@_encoding": "UTF-8" }, ...root }) as string;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (_name, jpath) => ARRAY_PATHS.some((p) => String(jpath).endsWith(p)),
});

/** Elements that repeat in the MedMij lists: always parsed as arrays, even with one element. */
const ARRAY_PATHS = [".Zorgaanbieders.Zorgaanbieder", ".Gegevensdiensten.Gegevensdienst", ".Interfaceversies.Interfaceversie",
  ".Systeemrollen.Systeemrol", ".IdentificerendeKenmerken.IdentificerendKenmerk", ".OAuthclients.OAuthclient", ".MedMijNodes.MedMijNode"];

/** Parse XML; throws on malformed input. */
export function parseXml<T = Record<string, any>>(xml: string): T {
  return parser.parse(xml, true) as T;
}
