// The CLI package's entry for programs that embed it: run(argv) is the `ringkv` command.
export { run } from './main.js';
