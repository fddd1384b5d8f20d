#ifndef FS_CZSTD_SHIM_H
#define FS_CZSTD_SHIM_H
#include <zstd.h>
#include <zstd_errors.h>
#endif
