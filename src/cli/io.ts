/** Where the CLI writes; tests capture it. */
export interface IO {
  out(text: string): void;
  err(text: string): void;
  readonly isTTY: boolean;
}

export const processIO: IO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  get isTTY() {
    return Boolean(process.stderr.isTTY);
  },
};
