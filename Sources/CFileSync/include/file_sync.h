#ifndef FS_FILE_SYNC_H
#define FS_FILE_SYNC_H

/// Linux calls glibc declares only under _GNU_SOURCE, which Swift's Glibc module does not
/// import. FSCore's FileSystemSync.swift is their one caller.

/// syncfs(2): writes back every dirty page and inode of the file system holding `fd`, waits,
/// and flushes the device cache once. Returns 0 or -1 with errno set. Since Linux 5.8 it
/// reports a writeback error that happened on that file system since `fd` was opened.
int fs_syncfs(int fd);

/// sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE): starts writing back every dirty page of
/// the file without waiting for it (nor for its inode, nor a device flush). Returns 0 or -1.
int fs_start_writeback(int fd);

#endif
