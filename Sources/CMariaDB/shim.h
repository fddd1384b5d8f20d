#ifndef FS_CMARIADB_SHIM_H
#define FS_CMARIADB_SHIM_H
#include <mysql.h>
#endif
