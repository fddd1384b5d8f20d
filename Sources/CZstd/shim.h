#ifndef FS_CZSTD_SHIM_H
#define FS_CZSTD_SHIM_H
// For ZSTD_decompressBound (exported by the shared libzstd; declared only for static users).
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>
#endif
