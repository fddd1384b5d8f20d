#ifndef FS_CHIREDIS_SHIM_H
#define FS_CHIREDIS_SHIM_H
#include <hiredis.h>
#endif
