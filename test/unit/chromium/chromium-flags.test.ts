import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BASE_CHROMIUM_ARGS, chromiumArgs } from '../../../src/chromium/chromium-flags';

describe('chromiumArgs', () => {
  it('adds --no-sandbox only as root, then the extra flags, without duplicates', () => {
    assert.ok(!chromiumArgs([], false).includes('--no-sandbox'));
    const args = chromiumArgs(['--lang=en', '--disable-gpu'], true);
    assert.ok(args.includes('--no-sandbox'));
    assert.equal(args.at(-1), '--lang=en');
    assert.equal(args.filter((a) => a === '--disable-gpu').length, 1);
  });

  it('"!--flag" in CHROMIUM_ARGS removes a default, with or without its value', () => {
    assert.ok(BASE_CHROMIUM_ARGS.includes('--single-process'));
    const args = chromiumArgs(['!--single-process', '!--disable-features'], false);
    assert.ok(!args.includes('--single-process'));
    assert.ok(!args.some((a) => a.startsWith('--disable-features=')));
    assert.ok(!args.some((a) => a.startsWith('!')), 'the removal markers are not passed on');
    assert.ok(args.includes('--no-zygote'), 'other defaults stay');
  });
});
