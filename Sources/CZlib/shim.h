#ifndef FS_CZLIB_SHIM_H
#define FS_CZLIB_SHIM_H
#include <zlib.h>
#endif
