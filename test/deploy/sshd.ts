// The deploy tests' sshd is the one bench/deploy-switch.mjs starts too.
export { type LocalSshd as TestSshd, startSshd } from '../../scripts/local-sshd.mjs';
