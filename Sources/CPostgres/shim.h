#ifndef FS_CPOSTGRES_SHIM_H
#define FS_CPOSTGRES_SHIM_H
#include <libpq-fe.h>
#endif
