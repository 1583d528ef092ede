/**
 * config.json field by field, checked from inside the container: each case
 * runs the same bundle under crun and tsmachine-oci and asserts the same
 * expectation on both (a case crun fails is a wrong case).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntil } from './helpers.js';
import { RUNTIMES, makeBundle, oci, readIf, stateOf, type Runtime } from './oci-helpers.js';

const cleanup: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

let serial = 0;
/** Runs `script` as the payload (sh -c) under rt; resolves with what it wrote to /out/result and its stdout. */
async function probe(rt: Runtime, script: string, edit?: (c: Record<string, any>, out: string) => void): Promise<string> {
  const id = `cfg-${rt.name.replace(/[^a-z]/g, '')}-${process.pid}-${serial++}`;
  const b = makeBundle(id, ['sh', '-c', `{ ${script} ; } > /out/result 2>&1; echo done > /out/done`]);
  if (edit) { edit(b.config, b.out); b.write(); }
  cleanup.push(async () => { await oci(rt, ['delete', '--force', id]); b.remove(); });
  const c = await oci(rt, ['create', '--bundle', b.dir, id]);
  assert.equal(c.code, 0, `${rt.name} create: ${c.stderr}`);
  const s = await oci(rt, ['start', id]);
  assert.equal(s.code, 0, `${rt.name} start: ${s.stderr}`);
  await waitUntil(`${rt.name}: the probe`, () => readIf(join(b.out, 'done')) !== null, { timeoutMs: 15_000 });
  await waitUntil('stopped', async () => (await stateOf(rt, id)).status === 'stopped', { timeoutMs: 10_000 });
  return readIf(join(b.out, 'result')) ?? '';
}

/** The same case on every runtime: `check` asserts on each one's output. */
function both(name: string, script: string, check: (out: string, rt: Runtime) => void, edit?: (c: Record<string, any>, out: string) => void): void {
  test(name, async () => {
    for (const rt of RUNTIMES) {
      const out = await probe(rt, script, edit);
      try {
        check(out, rt);
      } catch (e) {
        (e as Error).message = `${rt.name}: ${(e as Error).message}\n--- output ---\n${out}`;
        throw e;
      }
    }
  });
}

both('hostname and domainname', 'hostname; cat /proc/sys/kernel/domainname', (out) => {
  assert.deepEqual(out.trim().split('\n'), ['box-one', 'example.test']);
}, (c) => { c.hostname = 'box-one'; c.domainname = 'example.test'; });

both('mounts in order with their options: tmpfs mode and size, ro bind, nosuid/nodev/noexec', 'stat -c %a /scratch; grep -E " /(scratch|ro-data|data/inner) " /proc/self/mounts; cat /ro-data/hello; touch /ro-data/x 2>&1 | head -1',
  (out) => {
    const lines = out.trim().split('\n');
    assert.equal(lines[0], '1770');
    const scratch = lines.find((l) => / \/scratch /.test(l));
    assert.match(scratch ?? '', /^tmpfs \/scratch tmpfs .*nosuid.*nodev.*noexec/);
    assert.match(scratch ?? '', /size=1024k/);
    assert.match(lines.find((l) => / \/ro-data /.test(l)) ?? '', /\bro\b/);
    assert.match(lines.find((l) => / \/data\/inner /.test(l)) ?? '', /tmpfs/, 'a mount on a directory made by an earlier one');
    assert.ok(lines.includes('hi'));
    assert.match(lines.at(-1) ?? '', /Read-only file system/);
  },
  (c, out) => {
    writeFileSync(join(out, 'hello'), 'hi\n');
    c.mounts.push(
      { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'mode=1770', 'size=1m'] },
      { destination: '/ro-data', type: 'bind', source: out, options: ['rbind', 'ro'] },
      { destination: '/data', type: 'tmpfs', source: 'tmpfs', options: [] },
      { destination: '/data/inner', type: 'tmpfs', source: 'tmpfs', options: ['size=64k'] },
    );
  });

both('process.user: uid, gid, additionalGids, umask', 'id -u; id -g; id -G; umask', (out) => {
  const [u, g, groups, umask] = out.trim().split('\n');
  assert.equal(u, '1234');
  assert.equal(g, '2345');
  assert.deepEqual(groups!.split(' ').sort(), ['2345', '3456', '4567'].sort());
  assert.equal(umask, '0027');
}, (c) => { c.process.user = { uid: 1234, gid: 2345, additionalGids: [3456, 4567], umask: 0o027 }; c.root.readonly = true; });

// As a user other than root: root's execve makes every bounding capability
// permitted again (the kernel treats its files as fully capable), so the
// five sets only show as given for another user (ambient ones survive).
both('capabilities: the five sets', 'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status', (out) => {
  const caps = Object.fromEntries(out.trim().split('\n').map((l) => l.split(/:\s+/) as [string, string]));
  // CAP_CHOWN 0, CAP_KILL 5, CAP_NET_BIND_SERVICE 10, CAP_NET_RAW 13
  assert.equal(BigInt(`0x${caps.CapBnd}`), (1n << 0n) | (1n << 5n) | (1n << 10n) | (1n << 13n));
  assert.equal(BigInt(`0x${caps.CapInh}`), 1n << 10n);
  assert.equal(BigInt(`0x${caps.CapAmb}`), 1n << 10n);
  assert.equal(BigInt(`0x${caps.CapPrm}`), 1n << 10n, 'a non-root user keeps its ambient capabilities');
  assert.equal(BigInt(`0x${caps.CapEff}`), 1n << 10n);
}, (c) => {
  c.process.user = { uid: 1000, gid: 1000 };
  c.process.noNewPrivileges = false;
  c.process.capabilities = {
    bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'],
    effective: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    permitted: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    inheritable: ['CAP_NET_BIND_SERVICE'],
    ambient: ['CAP_NET_BIND_SERVICE'],
  };
});

both('rlimits and noNewPrivileges', 'ulimit -n; ulimit -Hn; grep NoNewPrivs /proc/self/status', (out) => {
  assert.deepEqual(out.trim().split('\n').map((l) => l.replace(/\s+/g, ' ')), ['333', '444', 'NoNewPrivs: 1']);
}, (c) => { c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 333, hard: 444 }]; c.process.noNewPrivileges = true; });

both('linux.sysctl in the container\'s namespaces', 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax', (out) => {
  assert.deepEqual(out.trim().split('\n'), ['1', '12345']);
}, (c) => { c.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.msgmax': '12345' }; });

both('maskedPaths and readonlyPaths', 'cat /proc/kcore 2>&1 | wc -c; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/domainname 2>&1 | head -1', (out) => {
  const [kcore, firmware] = out.trim().split('\n');
  assert.equal(kcore!.trim(), '0', '/proc/kcore reads as /dev/null');
  assert.equal(firmware!.trim(), '0', '/sys/firmware is an empty tmpfs');
  assert.match(out, /Read-only file system/, '/proc/sys is read-only');
});

both('linux.devices: a node made in /dev; the device policy allows what resources.devices allows', 'ls -l /dev/mynull | cut -c1; echo x > /dev/mynull && echo wrote; head -c1 /dev/mem 2>&1 | head -1', (out) => {
  const [kind, wrote, mem] = out.trim().split('\n');
  assert.equal(kind, 'c');
  assert.equal(wrote, 'wrote');
  assert.match(mem ?? '', /No such file|Operation not permitted/);
}, (c) => {
  c.linux.devices = [{ path: '/dev/mynull', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }];
  c.linux.resources.devices = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }];
});

both('linux.seccomp: a syscall the profile denies fails with its errnoRet; the rest works', 'mkdir /tmp/x 2>&1; echo still-running', (out) => {
  assert.match(out, /Function not implemented/, 'mkdir got ENOSYS (38), not EROFS: the filter answered');
  assert.match(out, /still-running/);
}, (c) => {
  c.linux.seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
    syscalls: [{ names: ['mkdir', 'mkdirat', 'no_such_syscall_anywhere'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }],
  };
});

test('namespaces joined by path: a network namespace prepared beforehand', async () => {
  execFileSync('ip', ['netns', 'add', `ocitest${process.pid}`]);
  cleanup.push(async () => execFileSync('ip', ['netns', 'del', `ocitest${process.pid}`]));
  execFileSync('ip', ['netns', 'exec', `ocitest${process.pid}`, 'ip', 'link', 'add', 'marker0', 'type', 'dummy']);
  for (const rt of RUNTIMES) {
    const out = await probe(rt, 'cat /proc/net/dev', (c) => {
      c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'network' ? { type: 'network', path: `/run/netns/ocitest${process.pid}` } : n));
    });
    assert.match(out, /marker0/, `${rt.name}: the prepared namespace's interface is there`);
  }
});

both('a user namespace with uidMappings/gidMappings', 'cat /proc/self/uid_map /proc/self/gid_map; id -u', (out) => {
  const lines = out.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  assert.equal(lines[0], '0 100000 65536');
  assert.equal(lines[1], '0 100000 65536');
  assert.equal(lines[2], '0');
}, (c, out) => {
  c.linux.namespaces.push({ type: 'user' });
  c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  // The bundle's files are the host's root's; the mapped root only reads them.
  c.mounts = c.mounts.filter((m: { destination: string }) => m.destination !== '/sys' && m.destination !== '/sys/fs/cgroup');
  // The container's root is host 100000: as podman's storage does for --userns, the rootfs is its.
  execFileSync('chown', ['-R', '100000:100000', out, join(out, '..', 'rootfs')]);
});

// crun 1.8.1 (Debian 12) fails this create ("write to sync socket:
// Connection reset by peer") and runc 1.1.5 has no time namespaces: crun's
// result is reported, not asserted.
test('a time namespace with boottime and monotonic offsets', async (t) => {
  for (const rt of RUNTIMES) {
    let out: string;
    try {
      out = await probe(rt, 'cat /proc/uptime', (c) => {
        c.linux.namespaces.push({ type: 'time' });
        c.linux.timeOffsets = { boottime: { secs: 86_400, nanosecs: 0 }, monotonic: { secs: 86_400, nanosecs: 0 } };
      });
    } catch (e) {
      if (rt.name === 'crun') { t.diagnostic(`crun: ${(e as Error).message.split('\n')[0]}`); continue; }
      throw e;
    }
    const up = Number(out.trim().split(' ')[0]);
    const hostUp = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    assert.ok(up > hostUp + 86_000, `${rt.name}: uptime ${up} is a day ahead of the host's ${hostUp}`);
  }
});

both('process.env, cwd and args', 'pwd; echo "$GREETING"', (out) => {
  assert.deepEqual(out.trim().split('\n'), ['/etc', 'hello there']);
}, (c) => { c.process.cwd = '/etc'; c.process.env.push('GREETING=hello there'); });
