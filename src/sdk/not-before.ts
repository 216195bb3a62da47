/**
 * A call that runs when asked, but never before `earliest()`: asked sooner, it runs once at that
 * moment, however many times it was asked meanwhile. For nudges, which a busy neighbour sends all
 * the time.
 */
export class NotBefore {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly earliest: () => number,
    private readonly run: () => void,
  ) {}

  request(): void {
    if (this.timer !== undefined) return;
    const wait = this.earliest() - Date.now();
    if (wait <= 0) {
      this.run();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, wait);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
