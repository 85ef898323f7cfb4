import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMG, inputsHash, PICTURES, recordedHash, type PictureName } from '../../support/pictures.js';

describe('the pictures in docs/img/', () => {
  it.each(Object.keys(PICTURES) as PictureName[])('%s is committed and was drawn by the code as it is now', (name) => {
    expect(existsSync(join(IMG, name)), `docs/img/${name} is missing: run ${PICTURES[name].madeBy}`).toBe(true);
    expect(recordedHash(name), `docs/img/${name} is older than the code that draws it: run ${PICTURES[name].madeBy}`).toBe(inputsHash(name));
  });
});
