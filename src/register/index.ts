/**
 * MedMij Register (stelselnode, SPEC §4): the five XML lists generated from the network, and a
 * readable page at `/`. `?api=2` is accepted and ignored; the SD also fetches lists without ".xml".
 */
import { htmlResponse } from "../shared/html.ts";
import { createActorApp } from "../shared/actor-app.ts";
import type { SandboxContext } from "../shared/context.ts";
import { sha256 } from "../shared/crypto.ts";
import { buildXml } from "../shared/xml.ts";
import { localDateTime } from "../shared/time.ts";
import { RegisterHome } from "../../views/register/home.tsx";
import { themes } from "../../views/theme.ts";
import { LIST_BUILDERS, LIST_NAMES, listDocument, type ListName } from "./lists.ts";
import { RegisterStore, type ListStamp } from "./store.ts";

export interface PublishedList { name: ListName; stamp: ListStamp; xml: string; document: Record<string, unknown> }

export function createRegister(ctx: SandboxContext) {
  const store = new RegisterStore(ctx.db);

  // The network does not change while the process runs: build each list once and keep it.
  const published = new Map<ListName, PublishedList>();

  /** The list as published; its Volgnummer rose at start if the network changed its content. */
  function publish(name: ListName): PublishedList {
    const cached = published.get(name);
    if (cached) return cached;
    const body = LIST_BUILDERS[name](ctx.network);
    const hash = sha256(JSON.stringify(body));
    const stamp = store.stampFor(name, hash, localDateTime());
    const document = listDocument(body, stamp);
    const list = { name, stamp, xml: buildXml(document), document };
    published.set(name, list);
    return list;
  }

  const app = createActorApp("register", themes.register)
    .get("/", () => htmlResponse(RegisterHome({ lists: LIST_NAMES.map(publish), network: ctx.network })));

  for (const name of LIST_NAMES) {
    // REGISTER.md: Content-Type application/xml without a charset parameter.
    const serve = () => new Response(publish(name).xml, { headers: { "Content-Type": "application/xml", "Cache-Control": "no-cache" } });
    app.get(`/${name}.xml`, serve).get(`/${name}`, serve);
  }
  return { app, publish };
}
