import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeadLetterFileError, JsonlDeadLetters, type Requeue } from '../../../src/adapters/file/jsonl-dead-letters.js';
import { aDeadLetter, describeDeadLettersContract } from '../../contract/dead-letters.contract.js';

const dirs: string[] = [];

async function aDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'feedrelay-dlq-'));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Queues that only collect what is sent to them. */
function collectingQueues() {
  const queues = new Map<string, string[]>();
  const requeue: Requeue = async (queue, bodies) => void queues.set(queue, [...(queues.get(queue) ?? []), ...bodies]);
  const queued = async (queue: string): Promise<string[]> => {
    const bodies = queues.get(queue) ?? [];
    queues.delete(queue);
    return bodies.sort();
  };
  return { requeue, queued };
}

describeDeadLettersContract('JsonlDeadLetters', async () => {
  const { requeue, queued } = collectingQueues();
  return { deadLetters: new JsonlDeadLetters(join(await aDir(), 'dead-letters.jsonl'), requeue), queued };
});

describe('JsonlDeadLetters', () => {
  it('keeps what was parked for the next process: another instance on the same file lists it', async () => {
    // Prepare
    const path = join(await aDir(), 'nested', 'dead-letters.jsonl');
    await new JsonlDeadLetters(path, collectingQueues().requeue).park(aDeadLetter(1));

    // Act
    const listed = await new JsonlDeadLetters(path, collectingQueues().requeue).list();

    // Assess
    expect(listed).toEqual([aDeadLetter(1)]);
  });

  it('skips a last line cut short by a crash, and starts the next letter on a line of its own', async () => {
    // Prepare
    const path = join(await aDir(), 'dead-letters.jsonl');
    await writeFile(path, `${JSON.stringify(aDeadLetter(1))}\n{"queue":"fetch-fe`);
    const deadLetters = new JsonlDeadLetters(path, collectingQueues().requeue);

    // Act
    const before = await deadLetters.list();
    await deadLetters.park(aDeadLetter(2));

    // Assess
    expect(before).toEqual([aDeadLetter(1)]);
    await expect(deadLetters.list()).rejects.toThrow(`${path}, line 2: not JSON`);
    expect((await readFile(path, 'utf8')).split('\n')[2]).toBe(JSON.stringify(aDeadLetter(2)));
  });

  it('refuses a file with a line that is not a dead letter, naming the file and the line', async () => {
    // Prepare
    const path = join(await aDir(), 'dead-letters.jsonl');
    await writeFile(path, `${JSON.stringify(aDeadLetter(1))}\n{"queue":"fetch-feed"}\n`);

    // Act
    const listing = new JsonlDeadLetters(path, collectingQueues().requeue).list();

    // Assess
    await expect(listing).rejects.toThrow(DeadLetterFileError);
    await expect(listing).rejects.toThrow(
      `${path}, line 2: expected a dead letter {queue, messageId, body, reason, firstSeenAt}`,
    );
  });

  it('keeps every letter it could not put back when the queue refuses them', async () => {
    // Prepare
    const path = join(await aDir(), 'dead-letters.jsonl');
    const sent: string[] = [];
    const deadLetters = new JsonlDeadLetters(path, async (queue, bodies) => {
      if (queue === 'deliver') throw new Error('the deliver queue is not there');
      sent.push(...bodies);
    });
    await deadLetters.park(aDeadLetter(1));
    await deadLetters.park(aDeadLetter(2, { queue: 'deliver' }));

    // Act
    const redrive = deadLetters.redrive();

    // Assess
    await expect(redrive).rejects.toThrow('the deliver queue is not there');
    expect(sent).toEqual([aDeadLetter(1).body]);
    expect(await deadLetters.list()).toEqual([aDeadLetter(2, { queue: 'deliver' })]);
  });
});
