#ifndef FS_CZSTD_SHIM_H
#define FS_CZSTD_SHIM_H
#include <zstd.h>
#endif
