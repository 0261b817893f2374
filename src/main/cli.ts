// The `sspr` entry point (bin/sspr.js loads the built copy of this file).
import { main } from './program.js';

await main(process.argv.slice(2));
