#ifndef FS_CSQLITE_SHIM_H
#define FS_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
