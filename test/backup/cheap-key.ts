import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * restic calibrates its key's scrypt cost to about half a second at `init`, and every command pays it
 * again when it opens the repository. Like restic's own tests (TestUseLowSecurityKDFParameters), the
 * fixtures re-encrypt the master key with cheap scrypt parameters, so the suite's hundreds of real
 * restic commands stay fast. The file format is restic's: `data` is IV ‖ AES-256-CTR ‖ Poly1305-AES.
 */
export async function cheapenKey(repository: string, password: string): Promise<void> {
  const keysDir = join(repository, 'keys');
  const [name] = await readdir(keysDir);
  if (!name) throw new Error(`${repository} has no key`);
  const key = JSON.parse(await readFile(join(keysDir, name), 'utf8')) as KeyFile;
  const derived = scryptSync(password, Buffer.from(key.salt, 'base64'), 64, {
    N: key.N,
    r: key.r,
    p: key.p,
    maxmem: 512 * 1024 * 1024,
  });
  const data = Buffer.from(key.data, 'base64');
  const iv = data.subarray(0, 16);
  const masterKey = ctr(derived.subarray(0, 32), iv, data.subarray(16, data.length - 16));

  const salt = randomBytes(64);
  const cheap = { N: 1024, r: 8, p: 1 };
  const newDerived = scryptSync(password, salt, 64, cheap);
  const newIv = randomBytes(16);
  const ciphertext = ctr(newDerived.subarray(0, 32), newIv, masterKey);
  const mac = poly1305Aes(ciphertext, newIv, newDerived.subarray(32, 48), newDerived.subarray(48, 64));
  const file = JSON.stringify({
    ...key,
    ...cheap,
    salt: salt.toString('base64'),
    data: Buffer.concat([newIv, ciphertext, mac]).toString('base64'),
  });
  await writeFile(join(keysDir, createHash('sha256').update(file).digest('hex')), file, { mode: 0o400 });
  await rm(join(keysDir, name), { force: true });
}

interface KeyFile {
  N: number;
  r: number;
  p: number;
  salt: string;
  data: string;
}

function ctr(key: Buffer, iv: Buffer, input: Buffer): Buffer {
  const cipher = createDecipheriv('aes-256-ctr', key, iv);
  return Buffer.concat([cipher.update(input), cipher.final()]);
}

function littleEndian(bytes: Buffer): bigint {
  let value = 0n;
  for (let index = bytes.length - 1; index >= 0; index -= 1)
    value = (value << 8n) | BigInt(bytes[index] as number);
  return value;
}

/** restic's MAC: Poly1305 keyed with r and s = AES-128_k(nonce). */
function poly1305Aes(message: Buffer, nonce: Buffer, k: Buffer, r: Buffer): Buffer {
  const aes = createCipheriv('aes-128-ecb', k, null);
  aes.setAutoPadding(false);
  const s = littleEndian(Buffer.concat([aes.update(nonce), aes.final()]));
  const clamped = littleEndian(r) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const prime = (1n << 130n) - 5n;
  let accumulator = 0n;
  for (let offset = 0; offset < message.length; offset += 16) {
    const block = Buffer.concat([message.subarray(offset, offset + 16), Buffer.from([1])]);
    accumulator = ((accumulator + littleEndian(block)) * clamped) % prime;
  }
  let tag = (accumulator + s) & ((1n << 128n) - 1n);
  const out = Buffer.alloc(16);
  for (let index = 0; index < 16; index += 1) {
    out[index] = Number(tag & 0xffn);
    tag >>= 8n;
  }
  return out;
}
