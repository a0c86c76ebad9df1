/**
 * ListSecrets' eventual consistency. The ListSecrets API reference: "ListSecrets is eventually
 * consistent, however it might not reflect changes from the last five minutes. To get the latest
 * information for a specific secret, use DescribeSecret." With a lag, each change of a secret
 * (created, tagged, described, deleted, restored, forced away) is kept with its time, and a
 * listing shows every secret as it was at `now - lag`; the other operations read the present.
 */
export class ListingHistory<View> {
  private readonly changes = new Map<string, { at: number; view: View | undefined }[]>();

  constructor(private lagMs: number) {}

  /** Changes the lag; the secrets that exist now are taken as settled since ever. */
  setLag(lagMs: number, present: ReadonlyMap<string, View>): void {
    this.lagMs = lagMs;
    this.changes.clear();
    if (lagMs === 0) return;
    for (const [name, view] of present) this.changes.set(name, [{ at: Number.NEGATIVE_INFINITY, view }]);
  }

  /** A secret's state from `at` on (undefined: it no longer exists). */
  record(name: string, at: Date, view: View | undefined): void {
    if (this.lagMs === 0) return;
    const list = this.changes.get(name) ?? [];
    list.push({ at: at.getTime(), view });
    this.changes.set(name, list);
  }

  /**
   * Every secret as a listing at `now` sees it: the latest state recorded at or before `now - lag`
   * (`present`, the current state, when there is no lag).
   */
  asOf(now: Date, present: ReadonlyMap<string, View>): View[] {
    if (this.lagMs === 0) return [...present.values()];
    const cutoff = now.getTime() - this.lagMs;
    const seen: View[] = [];
    for (const list of this.changes.values()) {
      const settled = list.filter((c) => c.at <= cutoff);
      // Changes older than the lag are settled: keep only the latest of them.
      if (settled.length > 1) list.splice(0, settled.length - 1);
      const view = settled.at(-1)?.view;
      if (view) seen.push(view);
    }
    return seen;
  }
}
