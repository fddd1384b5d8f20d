// See include/file_sync.h.
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include "file_sync.h"

int fs_syncfs(int fd) { return syncfs(fd); }

int fs_start_writeback(int fd) { return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); }
