/** A small progress bar on stderr (TTY: redrawn in place; otherwise one line per 10 %). */
export class ProgressBar {
  private lastPct = -1;
  private readonly t0 = Date.now();
  constructor(
    private readonly label: string,
    private total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, total = this.total): void {
    this.total = total;
    const pct = total <= 0 ? 100 : Math.min(100, Math.floor((done / total) * 100));
    const rate = done / Math.max(0.001, (Date.now() - this.t0) / 1000);
    if (this.out.isTTY) {
      const width = 30;
      const fill = Math.round((pct / 100) * width);
      this.out.write(`\r${this.label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${pct}% ${done}/${total} ${Math.round(rate)}/s`);
    } else if (pct >= this.lastPct + 10 || (pct === 100 && this.lastPct !== 100)) {
      this.out.write(`${this.label} ${pct}% ${done}/${total}\n`);
    } else return;
    this.lastPct = pct;
  }

  done(summary = ''): void {
    if (this.out.isTTY) this.out.write('\n');
    if (summary) this.out.write(`${this.label}: ${summary}\n`);
  }
}
