// Assets imported with `with { type: "file" }` / `{ type: "text" }` so that `bun build --compile`
// embeds them in the binary.
declare module "htmx.org/dist/htmx.min.js" {
  const path: string;
  export default path;
}
declare module "*.css" {
  const text: string;
  export default text;
}
