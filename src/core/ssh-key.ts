import { chmod, writeFile } from 'node:fs/promises';
import { UserError } from './errors.js';

const PRIVATE_KEY_HEADER = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

export function looksLikePrivateKey(text: string): boolean {
  return PRIVATE_KEY_HEADER.test(text);
}

/**
 * Writes the private key an input holds to `path`, readable by its owner only. OpenSSH refuses a key
 * without its final newline, and one readable by others; a secret pasted from Windows has CRLFs.
 */
export async function writePrivateKeyFile(path: string, key: string, inputName: string): Promise<void> {
  if (!looksLikePrivateKey(key)) {
    throw new UserError(
      `Input '${inputName}' must be a private key (-----BEGIN OPENSSH PRIVATE KEY----- …), got something else`,
    );
  }
  await writeFile(path, withFinalNewline(key.replace(/\r\n/g, '\n').trim()), { mode: 0o600 });
  await chmod(path, 0o600);
}

export function withFinalNewline(text: string): string {
  return text.length === 0 || text.endsWith('\n') ? text : `${text}\n`;
}
