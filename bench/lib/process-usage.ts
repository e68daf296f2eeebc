import { readFileSync } from 'node:fs';

/**
 * User + system CPU seconds a process has used so far, every thread counted (Linux /proc), or
 * undefined where there is no /proc. Resolution: one clock tick (USER_HZ, 100 on Linux).
 */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may contain spaces): state is field 3; utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Bytes a process has caused to be sent to storage so far (`write_bytes` of Linux /proc/<pid>/io,
 * every thread: written out, or dirty in the page cache and charged to it), or undefined where there
 * is no /proc.
 */
export function storageBytesWrittenBy(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/io`, 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('write_bytes: '));
    return line === undefined ? undefined : Number(line.slice('write_bytes: '.length));
  } catch {
    return undefined;
  }
}

/** A process's usage at one moment (the driver turns two of them into per-operation costs). */
export interface UsageReading {
  cpuSeconds: number | undefined;
  storageBytes: number | undefined;
}

export function readUsage(pid: number): UsageReading {
  return { cpuSeconds: cpuSecondsOf(pid), storageBytes: storageBytesWrittenBy(pid) };
}
