/**
 * Gives the write-ahead log its working size before the first commits need it.
 *
 * SQLite appends each commit's frames to the `-wal` file and, after a checkpoint, starts again at
 * its beginning, so once the file has grown to about `wal_autocheckpoint` pages it stops growing.
 * Until then every commit extends the file, and syncing a file whose size changed also commits the
 * file system's allocation and size: measured here, a commit at synchronous=FULL costs about 1.7
 * times as much while the log grows (one-row commits: 1,700–2,000 a second against 2,600–3,600),
 * and embedded W2 runs 1,000–1,150 steps a second instead of 1,650–2,000. The log is deleted when
 * the last connection closes, so every process start would pay that again for its first 4 MiB of
 * writes.
 *
 * The file is extended with zeros past its end. SQLite reads a log only up to its last valid frame
 * (each frame carries the header's salt and a running checksum), as it ignores the older frames
 * a reset leaves behind, so the zeros are never taken for data.
 */
import { closeSync, fdatasyncSync, fstatSync, openSync, writeSync } from "node:fs";
import type Database from "better-sqlite3";

/** Bytes written per call while extending. */
const CHUNK = 1 << 20;

/** The log's size once it holds `wal_autocheckpoint` frames (a page and a 24-byte header each) after its 32-byte header. */
export function workingWalBytes(db: Database.Database): number {
  const pageSize = Number(db.pragma("page_size", { simple: true }));
  const pagesPerCheckpoint = Number(db.pragma("wal_autocheckpoint", { simple: true }));
  return 32 + Math.max(pagesPerCheckpoint, 0) * (pageSize + 24);
}

/**
 * Extends `path`'s log to `bytes` if it is shorter. Runs with the write lock held (BEGIN
 * IMMEDIATE), so no other connection, in this process or another, appends frames meanwhile; only
 * the region past the current end is written. Best effort: with the lock busy, or the disk full,
 * the log just grows as it would have.
 */
export function presizeWal(db: Database.Database, path: string, bytes: number = workingWalBytes(db)): void {
  if (db.memory || bytes <= 0) return;
  try {
    db.prepare("BEGIN IMMEDIATE").run();
  } catch (error) {
    if ((error as { code?: string }).code === "SQLITE_BUSY") return;
    throw error;
  }
  try {
    extendWithZeros(`${path}-wal`, bytes);
  } finally {
    db.prepare("ROLLBACK").run();
  }
}

function extendWithZeros(file: string, bytes: number): void {
  let fd: number;
  try {
    fd = openSync(file, "r+");
  } catch (error) {
    // No log yet (SQLite makes it when the first connection opens the file in WAL mode): nothing to extend.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size >= bytes) return;
    const zeros = Buffer.alloc(Math.min(CHUNK, bytes - size));
    for (let at = size; at < bytes; ) at += writeSync(fd, zeros, 0, Math.min(zeros.length, bytes - at), at);
    // Allocated and on disk now, so a commit's sync finds none of the file's own growth to flush.
    fdatasyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOSPC" && code !== "EDQUOT") throw error;
  } finally {
    closeSync(fd);
  }
}
