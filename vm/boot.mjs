// Boot the test guest once, let it run one job, and report how it went.
//
// The host shares a directory (the checkout) read-write over virtiofs; the
// guest's tsm-runner mounts it on /mnt/host and runs <share>/<job>/run.sh
// (see guest/tsm-runner for the files it leaves). The VM runs under qemu TCG,
// never KVM (a KVM guest here hangs instead of failing), with no network.
//
// Every way a run can go wrong ends in a failed result with a reason and the
// console's last lines: qemu or virtiofsd not starting, a boot that does not
// reach the job in time, a job that overruns, a VM that stops without an
// exit status.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';

const VIRTIOFSD = '/usr/lib/qemu/virtiofsd';
const POLL_MS = 200;
const SHUTDOWN_TIMEOUT_S = 60;

/**
 * @param {object} o
 * @param {string} o.image        directory with root.img and vmlinuz (image.mjs)
 * @param {string} o.share        host directory mounted at /mnt/host in the guest
 * @param {string} o.job          job directory, relative to share; run.sh must be in it
 * @param {number} [o.memoryMb]   guest memory (4096)
 * @param {number} [o.cpus]       vCPUs (2)
 * @param {number} [o.bootTimeoutS] time allowed until the job starts (600)
 * @param {number} [o.jobTimeoutS]  time allowed for the job itself (2400)
 * @param {boolean} [o.conservative] a named CPU model (Nehalem) and one TCG thread for both
 *   vCPUs instead of `-cpu max` and a thread per vCPU: slower, but with nothing taken from the
 *   host, for a second boot after one that stalled (TCG guests with `-cpu max -smp 2` are
 *   reported to hang while bringing up the second CPU on some hosts)
 * @param {(text: string) => void} [o.onOutput] receives the job's output as it is written
 * @returns {Promise<{ ok: boolean, started: boolean, rc: number | null, error?: string, bootS: number, jobS: number, consoleTail: string }>}
 */
export async function bootVm(o) {
  const { image, share, job, memoryMb = 4096, cpus = 2, bootTimeoutS = 600, jobTimeoutS = 2400, conservative = false } = o;
  const onOutput = o.onOutput ?? ((t) => process.stdout.write(t));
  const jobDir = join(share, job);
  for (const f of ['rc', 'started', 'guest.log', 'console.log']) rmSync(join(jobDir, f), { force: true });
  mkdirSync(jobDir, { recursive: true });
  const consoleLog = join(jobDir, 'console.log');
  const socket = join(tmpdir(), `tsmvm-${process.pid}-${Date.now()}.sock`);

  const children = [];
  const killAll = () => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL'); };
  process.once('exit', killAll);
  const onSignal = (sig) => { killAll(); process.kill(process.pid, sig); };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);

  const t0 = Date.now();
  const seconds = (since) => (Date.now() - since) / 1000;
  let jobStart = 0;
  const fail = (error) => ({
    ok: false, started: jobStart !== 0, rc: null, error, bootS: seconds(t0), jobS: 0,
    consoleTail: (existsSync(consoleLog) && lastLines(readFileSync(consoleLog, 'utf8'), 40)) || '(the console is empty)',
  });

  try {
    // cache=always: with the default, every node start in the guest takes seconds.
    const virtiofsd = spawn(VIRTIOFSD, [
      `--socket-path=${socket}`, '-o', `source=${share}`, '-o', 'cache=always',
      '-o', 'sandbox=chroot', '-o', 'xattr', '-o', 'log_level=warn',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(virtiofsd);
    let virtiofsdErr = '';
    virtiofsd.stderr.on('data', (d) => { virtiofsdErr += d; });
    for (let i = 0; i < 100 && !existsSync(socket); i++) {
      if (virtiofsd.exitCode !== null) break;
      await sleep(50);
    }
    if (!existsSync(socket)) return fail(`virtiofsd did not start: ${virtiofsdErr.trim() || 'no socket'}`);

    // Kernel notices and systemd's unit status on the console (~150 lines a
    // boot): a boot that stalls shows where, which a quiet console cannot.
    const append = [
      'console=ttyS0', 'root=/dev/nvme0n1', 'rootfstype=ext4', 'rw', 'panic=-1',
      'systemd.unified_cgroup_hierarchy=1', 'systemd.firstboot=off', 'systemd.show_status=yes', 'loglevel=6',
      'tsm.run', `tsm.job=${job}`,
    ].join(' ');
    const qemu = spawn('qemu-system-x86_64', [
      '-accel', conservative ? 'tcg,thread=single' : 'tcg,thread=multi', '-cpu', conservative ? 'Nehalem' : 'max',
      '-smp', String(cpus), '-m', String(memoryMb),
      '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot', '-nic', 'none', '-monitor', 'none',
      '-serial', `file:${consoleLog}`,
      '-kernel', join(image, 'vmlinuz'), '-append', append,
      // snapshot=on: writes go to a throwaway overlay, every boot starts clean
      '-drive', `file=${join(image, 'root.img')},format=raw,if=none,id=root,snapshot=on`,
      '-device', 'nvme,drive=root,serial=tsmroot',
      '-device', 'virtio-rng-pci',
      // virtiofs needs guest memory that virtiofsd can map
      '-object', `memory-backend-memfd,id=mem,size=${memoryMb}M,share=on`, '-numa', 'node,memdev=mem',
      '-chardev', `socket,id=vfs,path=${socket}`, '-device', 'vhost-user-fs-pci,chardev=vfs,tag=host',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(qemu);
    let qemuErr = '';
    qemu.stderr.on('data', (d) => { qemuErr += d; });
    let qemuExit = null;
    qemu.on('error', (e) => { qemuErr += String(e); qemuExit = -1; });
    qemu.on('exit', (code, signal) => { qemuExit = code ?? signal; });

    const output = tailer(join(jobDir, 'guest.log'), onOutput);
    const rcFile = join(jobDir, 'rc');
    let jobEnd = 0;
    for (;;) {
      await sleep(POLL_MS);
      output.poll();
      if (!jobStart && existsSync(join(jobDir, 'started'))) jobStart = Date.now();
      if (jobStart && !jobEnd && existsSync(rcFile)) jobEnd = Date.now();
      if (qemuExit !== null) break;
      if (jobEnd && seconds(jobEnd) > SHUTDOWN_TIMEOUT_S) break; // the result is in; a slow power-off is not a failure
      if (!jobStart && seconds(t0) > bootTimeoutS) {
        // How much CPU qemu got tells a starved host from a guest that hangs.
        const cpu = cpuSeconds(qemu.pid);
        killAll();
        const used = cpu === null ? '' : ` (qemu used ${cpu.toFixed(0)}s of CPU meanwhile)`;
        return fail(`the VM did not boot to the test job within ${bootTimeoutS}s${used}`);
      }
      if (jobStart && !jobEnd && seconds(jobStart) > jobTimeoutS) {
        killAll();
        output.poll();
        return { ...fail(`the test job did not finish within ${jobTimeoutS}s`), bootS: (jobStart - t0) / 1000, jobS: seconds(jobStart) };
      }
    }
    output.poll();
    const bootS = jobStart ? (jobStart - t0) / 1000 : seconds(t0);
    const jobS = jobStart ? ((jobEnd || Date.now()) - jobStart) / 1000 : 0;
    if (!existsSync(rcFile)) {
      const why = qemuErr.trim() ? `qemu: ${lastLines(qemuErr, 5)}` : `qemu exited with ${qemuExit}`;
      return { ...fail(`the VM stopped before the test job finished (${why})`), bootS, jobS };
    }
    const rcText = readFileSync(rcFile, 'utf8').trim();
    if (!/^\d+$/.test(rcText)) return { ...fail(`the guest left an unreadable exit status: "${rcText}"`), bootS, jobS };
    const rc = Number(rcText);
    return { ok: true, started: true, rc, bootS, jobS, consoleTail: lastLines(readFileSync(consoleLog, 'utf8'), 40) };
  } finally {
    killAll();
    process.removeListener('exit', killAll);
    process.removeListener('SIGINT', onSignal).removeListener('SIGTERM', onSignal);
    rmSync(socket, { force: true });
  }
}

/** Follow a file that another machine appends to; `poll` hands over what is new. */
function tailer(path, onText) {
  let offset = 0;
  const buf = Buffer.alloc(64 * 1024);
  const decoder = new StringDecoder('utf8'); // a chunk may end inside a character
  return {
    poll() {
      if (!existsSync(path)) return;
      const fd = openSync(path, 'r');
      try {
        for (let n; (n = readSync(fd, buf, 0, buf.length, offset)) > 0; offset += n) onText(decoder.write(buf.subarray(0, n)));
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** User + system CPU seconds of a process, from /proc (null if it is gone). */
function cpuSeconds(pid) {
  try {
    // the fields after the command name, which may hold spaces: utime and stime are 14 and 15
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

function lastLines(text, n) {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
