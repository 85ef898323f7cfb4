import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync } from 'node:fs';

/** The uid files must have to be read (others' files in the folder are never sent); undefined where there are no uids. */
const uid = process.getuid?.();

/**
 * Reads a spool or local file only if it is a regular file owned by this
 * user, opened without following a symlink: a link planted in the folder
 * (to /etc/passwd, say) is never read, let alone sent with the credentials.
 */
export function readOwnFile(path: string, maxBytes = Number.MAX_SAFE_INTEGER): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    if (!stat.isFile() || (uid !== undefined && stat.uid !== uid) || stat.size > maxBytes) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A regular file owned by this user, by lstat (symlinks, folders, sockets and others' files are not). */
export function isOwnFile(path: string): boolean {
  try {
    const stat = lstatSync(path);
    return stat.isFile() && (uid === undefined || stat.uid === uid);
  } catch {
    return false;
  }
}
