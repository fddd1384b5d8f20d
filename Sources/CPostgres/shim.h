#ifndef FS_CPOSTGRES_SHIM_H
#define FS_CPOSTGRES_SHIM_H
/* libpq's declarations only: fs does not link libpq. It pulls in Kerberos, LDAP, GnuTLS and a
 * dozen more libraries, which the dynamic loader would map and relocate at every start of
 * fs-publish and fs-serve, whatever the target (about a third of fs-publish's start-up, measured).
 * FSPublish/Clients/LibPQ.swift loads it with dlopen when a PostgreSQL connection is first opened,
 * and calls it through the table below. The header comes from libpq-dev (/usr/include/postgresql). */
#include <dlfcn.h>
#include <stddef.h>
#include <postgresql/libpq-fe.h>

/* Every libpq function fs calls. A new call is one line here. */
#define FS_LIBPQ_FUNCTIONS(X) \
    X(PQconnectdbParams) X(PQstatus) X(PQerrorMessage) X(PQfinish) X(PQhost) X(PQport) X(PQdb) \
    X(PQsetNoticeProcessor) X(PQexec) X(PQexecParams) X(PQprepare) X(PQexecPrepared) X(PQclear) \
    X(PQresultStatus) X(PQresultErrorField) X(PQresultErrorMessage) X(PQntuples) X(PQnfields) \
    X(PQgetisnull) X(PQgetvalue) X(PQcmdTuples) X(PQputCopyData) X(PQputCopyEnd) X(PQgetResult)

/* One pointer per function, typed by libpq's own declaration (__typeof__ does not reference the
 * symbol, so nothing here needs libpq at link time). */
typedef struct fs_libpq {
#define FS_LIBPQ_FIELD(name) __typeof__(name) *_Nonnull name;
    FS_LIBPQ_FUNCTIONS(FS_LIBPQ_FIELD)
#undef FS_LIBPQ_FIELD
} fs_libpq;

/* dlopen("libpq.so.5") once and resolve every function. Returns the table, or NULL with *error
 * naming the library or the missing function (dlerror's text, owned by libc). The library stays
 * loaded for the life of the process (never dlclosed). Not thread-safe: the Swift side calls it
 * from one lazily initialised global. */
static inline const fs_libpq *_Nullable fs_libpq_open(const char *_Nullable *_Nonnull error) {
    static fs_libpq table;
    void *handle = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) { *error = dlerror(); return NULL; }
#define FS_LIBPQ_RESOLVE(name) \
    if ((*(void **)&table.name = dlsym(handle, #name)) == NULL) { *error = dlerror(); return NULL; }
    FS_LIBPQ_FUNCTIONS(FS_LIBPQ_RESOLVE)
#undef FS_LIBPQ_RESOLVE
    return &table;
}
#endif
