/*
 * pagepool/bdb/db.h: Berkeley DB 5.3's environment and memory-pool C API,
 * served by pagepool.
 *
 * A program written for Berkeley DB's memory pool (DB_ENV memp_* methods and
 * DB_MPOOLFILE) builds against this header by changing only its include path
 * and link line:
 *
 *     cc prog.c $(pkg-config --cflags --libs pagepool-bdb)
 *
 * Source compatibility, not binary: type names, method-pointer signatures,
 * flag and error names are Berkeley DB 5.3's; the structs hold only what this
 * API needs. Flag and error values are Berkeley DB's where it has them.
 *
 * Behaviour follows Berkeley DB's manual pages. Where pagepool departs from
 * them, or where Berkeley DB 5.3 itself departs from its documentation, the
 * method's comment below says so (search for "pagepool:"). In short:
 *   - Only the memory pool exists: DB_INIT_TXN, DB_INIT_LOCK, DB_INIT_LOG,
 *     DB_INIT_REP, DB_INIT_CDB and DB_RECOVER* are EINVAL at DB_ENV->open.
 *   - Pools are not shared between processes yet: an environment opened
 *     without DB_PRIVATE works as a private one (no region files are made).
 *   - Cache sizes are exact (no 25% inflation); set_cachesize after open
 *     resizes the live cache, up to set_cache_max.
 *   - Pages live in frames of set_mp_pagesize bytes (default 4096): a file
 *     whose page size is larger is EINVAL at open, with a message.
 *   - DB_MPOOL_DIRTY on get really dirties the page (Berkeley DB 5.3's public
 *     get drops it).
 *   - memp_sync and DB_MPOOLFILE->sync do not wait forever for pinned dirty
 *     pages: after a short wait they return DB_PP_INCOMPLETE.
 */
#ifndef PAGEPOOL_BDB_DB_H
#define PAGEPOOL_BDB_DB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h> /* u_int8_t, u_int32_t, ... */

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- versions */

#define DB_VERSION_FAMILY 11
#define DB_VERSION_RELEASE 2
#define DB_VERSION_MAJOR 5
#define DB_VERSION_MINOR 3
#define DB_VERSION_PATCH 28
#define DB_VERSION_STRING "pagepool 0.1.0: Berkeley DB 5.3 memory-pool API"
#define DB_VERSION_FULL_STRING DB_VERSION_STRING
/* Defined only by pagepool: lets a program tell which library it was built with. */
#define DB_PAGEPOOL 1

/* ---------------------------------------------------------------- types */

typedef u_int32_t db_pgno_t;     /* page number; pages count from 0 */
typedef u_int32_t db_recno_t;
typedef u_int32_t db_timeout_t;  /* microseconds */
typedef size_t db_size_t;
typedef ssize_t db_ssize_t;
typedef db_size_t roff_t;

#define DB_MAX_PAGES 0xffffffff
#define DB_FILE_ID_LEN 20

struct __db_env;
typedef struct __db_env DB_ENV;
struct __db_mpoolfile;
typedef struct __db_mpoolfile DB_MPOOLFILE;
struct __db_mpool_stat;
typedef struct __db_mpool_stat DB_MPOOL_STAT;
struct __db_mpool_fstat;
typedef struct __db_mpool_fstat DB_MPOOL_FSTAT;
struct __db_txn;
typedef struct __db_txn DB_TXN; /* opaque: pagepool has no transactions */
struct __db_dbt;
typedef struct __db_dbt DBT;
struct __db_lsn;
typedef struct __db_lsn DB_LSN;

/* Log sequence number. A page's LSN is stored at its file's lsn_offset. */
struct __db_lsn {
  u_int32_t file;
  u_int32_t offset;
};

/* Key/data pair; here only the pgcookie uses it (data, size). */
struct __db_dbt {
  void *data;
  u_int32_t size;
  u_int32_t ulen;
  u_int32_t dlen;
  u_int32_t doff;
  void *app_data;
  u_int32_t flags;
};
#define DB_DBT_MALLOC 0x010
#define DB_DBT_REALLOC 0x080
#define DB_DBT_USERMEM 0x800

/* Cache priority of a page when it is unpinned (DB_MPOOLFILE->put). */
typedef enum {
  DB_PRIORITY_UNCHANGED = 0,
  DB_PRIORITY_VERY_LOW = 1,
  DB_PRIORITY_LOW = 2,
  DB_PRIORITY_DEFAULT = 3,
  DB_PRIORITY_HIGH = 4,
  DB_PRIORITY_VERY_HIGH = 5
} DB_CACHE_PRIORITY;

/* ---------------------------------------------------------------- errors */

/* Berkeley DB's own codes (negative, so they never collide with errno). */
#define DB_BUFFER_SMALL (-30999)
#define DB_LOCK_DEADLOCK (-30993)
#define DB_NOTFOUND (-30988)
#define DB_PAGE_NOTFOUND (-30986)
#define DB_RUNRECOVERY (-30973)
#define DB_VERSION_MISMATCH (-30969)
/* pagepool's: a sync found modified pages that stayed pinned while it waited;
 * they were not written (every other modified page was). */
#define DB_PP_INCOMPLETE (-30899)

/* ----------------------------------------------------------------- flags */

/* DB_ENV->open */
#define DB_CREATE 0x00000001
#define DB_RECOVER 0x00000002
#define DB_THREAD 0x00000020
#define DB_INIT_CDB 0x00000080
#define DB_INIT_LOCK 0x00000100
#define DB_INIT_LOG 0x00000200
#define DB_INIT_MPOOL 0x00000400
#define DB_INIT_MUTEX 0x00000800
#define DB_INIT_REP 0x00001000
#define DB_INIT_TXN 0x00002000
#define DB_LOCKDOWN 0x00004000
#define DB_FAILCHK 0x00000010
#define DB_PRIVATE 0x00010000
#define DB_RECOVER_FATAL 0x00020000
#define DB_REGISTER 0x00040000
#define DB_SYSTEM_MEM 0x00080000
#define DB_USE_ENVIRON 0x00000004
#define DB_USE_ENVIRON_ROOT 0x00000008

/* db_env_create */
#define DB_CXX_NO_EXCEPTIONS 0x00000002

/* DB_ENV->remove */
#define DB_FORCE 0x00000001

/* DB_ENV->set_flags */
#define DB_NOMMAP 0x00000010
#define DB_DIRECT_DB 0x00000200

/* DB_MPOOLFILE->open */
#define DB_MULTIVERSION 0x00000008
#define DB_DIRECT 0x00000020
#define DB_ODDFILESIZE 0x00000080
#define DB_EXTENT 0x00000100
#define DB_RDONLY 0x00000400
#define DB_TRUNCATE 0x00020000

/* DB_MPOOLFILE->get (at most one of CREATE, LAST, NEW) */
#define DB_MPOOL_CREATE 0x00000001
#define DB_MPOOL_DIRTY 0x00000002
#define DB_MPOOL_EDIT 0x00000004
#define DB_MPOOL_FREE 0x00000008 /* internal to Berkeley DB: EINVAL here */
#define DB_MPOOL_LAST 0x00000010
#define DB_MPOOL_NEW 0x00000020
#define DB_MPOOL_TRY 0x00000040 /* internal to Berkeley DB: EINVAL here */

/* DB_MPOOLFILE->put and ->set (DB_MPOOL_DIRTY as above) */
#define DB_MPOOL_DISCARD 0x00000001
#define DB_MPOOL_CLEAN 0x00000008

/* DB_MPOOLFILE->set_flags */
#define DB_MPOOL_NOFILE 0x00000001
#define DB_MPOOL_UNLINK 0x00000002

/* memp_stat and memp_stat_print */
#define DB_STAT_CLEAR 0x00000001
#define DB_STAT_ALL 0x00000004
#define DB_STAT_ALLOC 0x00000008
#define DB_STAT_MEMP_HASH 0x00000010

/* ------------------------------------------------------------ statistics */

/* Pool statistics (DB_ENV->memp_stat). One malloc'd block; free() it. */
struct __db_mpool_stat {
  u_int32_t st_gbytes;              /* cache size: GB */
  u_int32_t st_bytes;               /* cache size: bytes */
  u_int32_t st_ncache;              /* cache regions */
  u_int32_t st_max_ncache;          /* most cache regions */
  db_size_t st_mmapsize;            /* largest file served by mmap */
  int32_t st_maxopenfd;             /* set_mp_max_openfd */
  int32_t st_maxwrite;              /* set_mp_max_write: writes */
  db_timeout_t st_maxwrite_sleep;   /* set_mp_max_write: sleep, microseconds */
  u_int32_t st_pages;               /* pages resident */
  u_int32_t st_map;                 /* gets served by mmap */
  uintmax_t st_cache_hit;           /* gets that found the page resident */
  uintmax_t st_cache_miss;          /* gets that had to read the page */
  uintmax_t st_page_create;         /* pages created */
  uintmax_t st_page_in;             /* pages read */
  uintmax_t st_page_out;            /* pages written */
  uintmax_t st_ro_evict;            /* clean pages evicted */
  uintmax_t st_rw_evict;            /* dirty pages evicted (written first) */
  uintmax_t st_page_trickle;        /* pages written by memp_trickle */
  u_int32_t st_page_clean;          /* clean resident pages */
  u_int32_t st_page_dirty;          /* dirty resident pages */
  u_int32_t st_hash_buckets;        /* page-table buckets */
  u_int32_t st_hash_mutexes;        /* bucket latches */
  u_int32_t st_pagesize;            /* set_mp_pagesize (the frame size) */
  u_int32_t st_hash_searches;       /* page-table searches */
  u_int32_t st_hash_longest;        /* longest chain searched (max over regions) */
  uintmax_t st_hash_examined;       /* chain entries examined */
  uintmax_t st_hash_nowait;         /* bucket latches taken without waiting */
  uintmax_t st_hash_wait;           /* bucket latches taken after waiting */
  uintmax_t st_hash_max_nowait;     /* (always 0 in pagepool) */
  uintmax_t st_hash_max_wait;       /* (always 0 in pagepool) */
  uintmax_t st_region_nowait;       /* (always 0: no region mutex) */
  uintmax_t st_region_wait;         /* (always 0: no region mutex) */
  uintmax_t st_mvcc_frozen;         /* (always 0: no MVCC) */
  uintmax_t st_mvcc_thawed;         /* (always 0) */
  uintmax_t st_mvcc_freed;          /* (always 0) */
  uintmax_t st_alloc;               /* frame allocations */
  uintmax_t st_alloc_buckets;       /* (always 0: CLOCK scans frames) */
  uintmax_t st_alloc_max_buckets;   /* (always 0) */
  uintmax_t st_alloc_pages;         /* frames examined by eviction */
  uintmax_t st_alloc_max_pages;     /* most frames examined by one allocation */
  uintmax_t st_io_wait;             /* gets that waited for a page's I/O */
  uintmax_t st_sync_interrupted;    /* (always 0) */
  roff_t st_regsize;                /* bytes of one region */
  roff_t st_regmax;                 /* most bytes of one region (cache_max) */
};

/* Per-file statistics: a NULL-terminated array, one malloc'd block. */
struct __db_mpool_fstat {
  u_int32_t st_pagesize;
  u_int32_t st_map;
  uintmax_t st_cache_hit;
  uintmax_t st_cache_miss;
  uintmax_t st_page_create;
  uintmax_t st_page_in;
  uintmax_t st_page_out;
  uintmax_t st_backup_spins; /* (always 0) */
  char *file_name;           /* the path, or "unknown" for a temporary file */
};

/* ------------------------------------------------------------ DB_MPOOLFILE */

/* A handle on a file in the pool (DB_ENV->memp_fcreate, then ->open). Several
 * threads may use one handle at once; get, put, set and sync are thread-safe.
 * The set_* methods that configure the file (clear_len, fileid, ftype,
 * lsn_offset, pgcookie) are EINVAL after open. */
struct __db_mpoolfile {
  DB_ENV *dbenv;        /* the environment that made the handle */
  void *api_internal;   /* pagepool's handle state */
  void *app_private;    /* for the application */

  int (*close)(DB_MPOOLFILE *, u_int32_t);
  int (*get)(DB_MPOOLFILE *, db_pgno_t *, DB_TXN *, u_int32_t, void *);
  int (*get_clear_len)(DB_MPOOLFILE *, u_int32_t *);
  int (*get_fileid)(DB_MPOOLFILE *, u_int8_t *);
  int (*get_flags)(DB_MPOOLFILE *, u_int32_t *);
  int (*get_ftype)(DB_MPOOLFILE *, int *);
  int (*get_last_pgno)(DB_MPOOLFILE *, db_pgno_t *);
  int (*get_lsn_offset)(DB_MPOOLFILE *, int32_t *);
  int (*get_maxsize)(DB_MPOOLFILE *, u_int32_t *, u_int32_t *);
  int (*get_pgcookie)(DB_MPOOLFILE *, DBT *);
  int (*get_priority)(DB_MPOOLFILE *, DB_CACHE_PRIORITY *);
  int (*open)(DB_MPOOLFILE *, const char *, u_int32_t, int, size_t);
  int (*put)(DB_MPOOLFILE *, void *, DB_CACHE_PRIORITY, u_int32_t);
  /* DB_MPOOLFILE->set (the manual's, absent from Berkeley DB 5.3's struct):
   * marks a pinned page DB_MPOOL_CLEAN, DB_MPOOL_DIRTY or DB_MPOOL_DISCARD. */
  int (*set)(DB_MPOOLFILE *, void *, u_int32_t);
  int (*set_clear_len)(DB_MPOOLFILE *, u_int32_t);
  int (*set_fileid)(DB_MPOOLFILE *, u_int8_t *);
  int (*set_flags)(DB_MPOOLFILE *, u_int32_t, int);
  int (*set_ftype)(DB_MPOOLFILE *, int);
  int (*set_lsn_offset)(DB_MPOOLFILE *, int32_t);
  int (*set_maxsize)(DB_MPOOLFILE *, u_int32_t, u_int32_t);
  int (*set_pgcookie)(DB_MPOOLFILE *, DBT *);
  int (*set_priority)(DB_MPOOLFILE *, DB_CACHE_PRIORITY);
  int (*sync)(DB_MPOOLFILE *);
};

/* ----------------------------------------------------------------- DB_ENV */

/* An environment: here, a memory pool. Created by db_env_create, configured,
 * opened with DB_INIT_MPOOL, closed with ->close (which frees it). Methods
 * that configure the environment before open return EINVAL after open, except
 * where noted. */
struct __db_env {
  void *api_internal; /* pagepool's environment state */
  void *app_private;  /* for the application */

  int (*close)(DB_ENV *, u_int32_t);
  void (*err)(const DB_ENV *, int, const char *, ...)
#if defined(__GNUC__)
      __attribute__((format(printf, 3, 4)))
#endif
      ;
  void (*errx)(const DB_ENV *, const char *, ...)
#if defined(__GNUC__)
      __attribute__((format(printf, 2, 3)))
#endif
      ;
  int (*get_cache_max)(DB_ENV *, u_int32_t *, u_int32_t *);
  int (*get_cachesize)(DB_ENV *, u_int32_t *, u_int32_t *, int *);
  void (*get_errcall)(DB_ENV *, void (**)(const DB_ENV *, const char *, const char *));
  void (*get_errfile)(DB_ENV *, FILE **);
  void (*get_errpfx)(DB_ENV *, const char **);
  int (*get_flags)(DB_ENV *, u_int32_t *);
  int (*get_home)(DB_ENV *, const char **);
  int (*get_mp_max_openfd)(DB_ENV *, int *);
  int (*get_mp_max_write)(DB_ENV *, int *, db_timeout_t *);
  int (*get_mp_mmapsize)(DB_ENV *, size_t *);
  int (*get_mp_mtxcount)(DB_ENV *, u_int32_t *);
  int (*get_mp_pagesize)(DB_ENV *, u_int32_t *);
  int (*get_mp_tablesize)(DB_ENV *, u_int32_t *);
  void (*get_msgfile)(DB_ENV *, FILE **);
  int (*get_open_flags)(DB_ENV *, u_int32_t *);
  int (*get_tmp_dir)(DB_ENV *, const char **);
  int (*memp_fcreate)(DB_ENV *, DB_MPOOLFILE **, u_int32_t);
  int (*memp_register)(DB_ENV *, int, int (*)(DB_ENV *, db_pgno_t, void *, DBT *),
                       int (*)(DB_ENV *, db_pgno_t, void *, DBT *));
  int (*memp_stat)(DB_ENV *, DB_MPOOL_STAT **, DB_MPOOL_FSTAT ***, u_int32_t);
  int (*memp_stat_print)(DB_ENV *, u_int32_t);
  int (*memp_sync)(DB_ENV *, DB_LSN *);
  int (*memp_trickle)(DB_ENV *, int, int *);
  int (*open)(DB_ENV *, const char *, u_int32_t, int);
  int (*remove)(DB_ENV *, const char *, u_int32_t);
  int (*set_alloc)(DB_ENV *, void *(*)(size_t), void *(*)(void *, size_t), void (*)(void *));
  int (*set_cache_max)(DB_ENV *, u_int32_t, u_int32_t);
  /* After open: resizes the live cache (ncache ignored); EINVAL past cache_max. */
  int (*set_cachesize)(DB_ENV *, u_int32_t, u_int32_t, int);
  void (*set_errcall)(DB_ENV *, void (*)(const DB_ENV *, const char *, const char *));
  void (*set_errfile)(DB_ENV *, FILE *);
  void (*set_errpfx)(DB_ENV *, const char *);
  int (*set_flags)(DB_ENV *, u_int32_t, int);
  /* pagepool: the log-flush function for the write-ahead rule (no log here):
   * before a page with an LSN is written, it is called with that LSN. */
  int (*set_log_flush)(DB_ENV *, int (*)(DB_ENV *, const DB_LSN *));
  int (*set_mp_max_openfd)(DB_ENV *, int);
  int (*set_mp_max_write)(DB_ENV *, int, db_timeout_t);
  int (*set_mp_mmapsize)(DB_ENV *, size_t);
  int (*set_mp_mtxcount)(DB_ENV *, u_int32_t);
  int (*set_mp_pagesize)(DB_ENV *, u_int32_t);
  int (*set_mp_tablesize)(DB_ENV *, u_int32_t);
  void (*set_msgcall)(DB_ENV *, void (*)(const DB_ENV *, const char *));
  void (*set_msgfile)(DB_ENV *, FILE *);
  int (*set_tmp_dir)(DB_ENV *, const char *);
};

/* ------------------------------------------------------------- functions */

int db_env_create(DB_ENV **dbenvp, u_int32_t flags);
char *db_strerror(int error);
char *db_version(int *major, int *minor, int *patch);

#ifdef __cplusplus
}
#endif

#endif /* PAGEPOOL_BDB_DB_H */
