/**
 * What /proc says about other processes (Linux only): resident memory, CPU time of a process or of
 * a whole process group (a directory daemon and its workers), and a sampler for peak RSS during
 * one phase. VmHWM would give the peak over a process's whole life; sampling gives it per phase.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** sysconf(_SC_CLK_TCK): the unit of utime/stime in /proc/<pid>/stat (100 on Linux). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      ticksPerSecond = 100;
    }
    if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

interface Stat {
  readonly state: string;
  readonly pgrp: number;
  /** utime + stime in ms (not cutime/cstime: a sampled child reaped later would count twice). */
  readonly cpuMs: number;
}

function stat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
    return {
      state: fields[0] ?? '?',
      pgrp: Number(fields[2]),
      cpuMs: (ticks * 1000) / clockTicks(),
    };
  } catch {
    return null;
  }
}

/** A field of /proc/<pid>/status in KiB (VmRSS, VmHWM), or NaN when the process is gone. */
export function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match === null ? Number.NaN : Number(match[1]);
  } catch {
    return Number.NaN;
  }
}

/** The live processes of a process group (a daemon started in its own group, e.g. samba). */
export function groupPids(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s !== null && s.pgrp === pgid && s.state !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

/** CPU time (ms) used so far by the processes themselves. */
export function cpuMsOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (stat(pid)?.cpuMs ?? 0), 0);
}

/**
 * CPU time of a process group between `start()` and `stop()`. Processes that exit in between are
 * counted up to their last sample (sampled every `intervalMs`), so short-lived workers are not lost.
 */
export function groupCpuMeter(pgid: number, intervalMs = 500) {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const sample = (): void => {
    for (const pid of groupPids(pgid)) {
      const cpu = stat(pid)?.cpuMs;
      if (cpu === undefined) continue;
      if (!first.has(pid)) first.set(pid, cpu);
      last.set(pid, cpu);
    }
  };
  sample();
  // Processes already running at the start count from their CPU time then.
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop(): number {
      clearInterval(timer);
      sample();
      let total = 0;
      for (const [pid, end] of last) total += end - (first.get(pid) ?? end);
      return total;
    },
  };
}

/** Peak VmRSS (KiB) of each process, sampled every `intervalMs` until `stop()`. */
export function rssSampler(pids: readonly number[], intervalMs = 25) {
  const peak = new Map<number, number>(pids.map((pid) => [pid, Number.NaN]));
  const sample = (): void => {
    for (const pid of pids) {
      const kb = statusKb(pid, 'VmRSS');
      const before = peak.get(pid) ?? Number.NaN;
      if (Number.isFinite(kb) && !(kb <= before)) peak.set(pid, kb);
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    /** Peak RSS in MiB per pid. */
    stop(): Map<number, number> {
      clearInterval(timer);
      sample();
      return new Map([...peak].map(([pid, kb]) => [pid, kb / 1024]));
    },
  };
}
