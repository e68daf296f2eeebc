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
 * What a process has written so far (Linux /proc/<pid>/io, every thread): `wchar` the bytes it
 * passed to write calls (files and sockets), `writeBytes` those the kernel sent to storage (or will:
 * dirty page cache charged to it). Undefined where there is no /proc.
 */
export function writesOf(pid: number): { wchar: number; writeBytes: number } | undefined {
  try {
    const fields = new Map(
      readFileSync(`/proc/${pid}/io`, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(': ') as [string, string]),
    );
    return { wchar: Number(fields.get('wchar')), writeBytes: Number(fields.get('write_bytes')) };
  } catch {
    return undefined;
  }
}
