/** A DVA setting that cannot be made (issue 15: PATCH /api/dvas/<id>): 404 for an unknown DVA, 400 for a wrong value. */
export class DvaSettingError extends Error {
  override name = "DvaSettingError";
  constructor(readonly status: 400 | 404, readonly problems: { field: string; message: string }[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join("; "));
  }
}
