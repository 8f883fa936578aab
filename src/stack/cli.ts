import { loadStackSettings } from '../config';
import { StackError } from './errors';
import { stackDown, stackStatus, stackUp } from './stack';

const usage = 'usage: npm run stack -- up|down|status';

async function run(command: string | undefined): Promise<number> {
  const settings = loadStackSettings();
  switch (command) {
    case 'up':
      await stackUp(settings);
      return 0;
    case 'down':
      await stackDown(settings);
      return 0;
    case 'status': {
      const statuses = await stackStatus(settings);
      for (const s of statuses) {
        const state = s.state === 'foreign' ? 'answers, but was not started by this stack' : s.state;
        console.log(`${s.name.padEnd(9)} ${s.address.padEnd(52)} ${state}${s.pid ? ` (pid ${s.pid})` : ''}`);
      }
      return statuses.every((s) => s.state === 'up') ? 0 : 3;
    }
    default:
      console.error(usage);
      return 2;
  }
}

run(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // Errors the user can act on are one line; anything else is a bug and keeps its stack.
    if (err instanceof StackError || err instanceof RangeError) console.error(`stack: ${err.message}`);
    else console.error(err);
    process.exit(1);
  },
);
