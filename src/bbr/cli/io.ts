/** CommandIo is where a subcommand writes (process streams in the binary, buffers in tests). */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** PROCESS_IO writes to the process's stdout and stderr. */
export const PROCESS_IO: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};
