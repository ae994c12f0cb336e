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
 * API needs. Flag and error values are Berkeley DB's where it has them. Every
 * error code (db_errors.h) and every flag of the methods below (db_flags.h)
 * is declared, including those of subsystems pagepool does not have, so that
 * a program mentioning them compiles. A method for something pagepool does
 * not do returns EINVAL, or DB_OPNOTSUP where Berkeley DB has it, with a
 * message through the error callback or file, and changes nothing (the end of
 * struct __db_env lists them).
 *
 * Behaviour follows Berkeley DB's manual pages. Where pagepool departs from
 * them, or where Berkeley DB 5.3 itself departs from its documentation, the
 * method's comment below says so (search for "pagepool:"). In short:
 *   - Only the memory pool exists: DB_INIT_TXN, DB_INIT_LOCK, DB_INIT_LOG,
 *     DB_INIT_REP, DB_INIT_CDB and DB_RECOVER* are EINVAL at DB_ENV->open.
 *   - Pools are not shared between processes yet: an environment opened
 *     without DB_PRIVATE is the home's (a second process is refused with
 *     EAGAIN), and its memory is in region files another process can read
 *     (pagepool::pool::inspect): in the home, or with DB_SYSTEM_MEM (which
 *     needs set_shm_key, as in Berkeley DB) in /dev/shm, POSIX shared memory
 *     rather than System V segments.
 *   - Cache sizes are exact (no 25% inflation); set_cachesize after open
 *     resizes the live cache, up to set_cache_max.
 *   - Files of every page size from 512 B to 64 KiB open side by side;
 *     set_mp_pagesize is the unit of set_cachesize (default 4096).
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
#include <pthread.h>   /* pthread_t: db_threadid_t */
#include <sys/types.h> /* u_int8_t, u_int32_t, pid_t, ... */

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
/* A thread's identity, as DB_ENV->set_thread_id reports it (with a pid_t). */
typedef pthread_t db_threadid_t;

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

/* Cache priority of a page when it is unpinned (DB_MPOOLFILE->put). */
typedef enum {
  DB_PRIORITY_UNCHANGED = 0,
  DB_PRIORITY_VERY_LOW = 1,
  DB_PRIORITY_LOW = 2,
  DB_PRIORITY_DEFAULT = 3,
  DB_PRIORITY_HIGH = 4,
  DB_PRIORITY_VERY_HIGH = 5
} DB_CACHE_PRIORITY;

/* ------------------------------------------------------- errors, flags */

/* Every error code (db_errors.h) and every flag of the methods below
 * (db_flags.h), with Berkeley DB 5.3's names and values. */
#include "db_errors.h"
#include "db_flags.h"

/* The kinds of object DB_ENV->set_memory_init sizes (all of other subsystems:
 * pagepool keeps the values and uses none). */
typedef enum {
  DB_MEM_LOCK = 1,
  DB_MEM_LOCKOBJECT = 2,
  DB_MEM_LOCKER = 3,
  DB_MEM_LOGID = 4,
  DB_MEM_TRANSACTION = 5,
  DB_MEM_THREAD = 6
} DB_MEM_CONFIG;

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

  /* -- messages (any time). pagepool writes no verbose messages: set_verbose
   * keeps the setting for get_verbose. set_data_len keeps the length for
   * get_data_len (pagepool prints no data items). stat_print prints the
   * memory pool's statistics (DB_STAT_ALL, DB_STAT_CLEAR, DB_STAT_SUBSYSTEM). */
  void (*get_msgcall)(DB_ENV *, void (**)(const DB_ENV *, const char *));
  int (*get_verbose)(DB_ENV *, u_int32_t, int *);
  int (*set_verbose)(DB_ENV *, u_int32_t, int);
  int (*get_data_len)(DB_ENV *, u_int32_t *);
  int (*set_data_len)(DB_ENV *, u_int32_t);
  int (*stat_print)(DB_ENV *, u_int32_t);

  /* -- threads and failures. The pool lives in this process only, so no
   * other process can die holding it: failchk (after open, with set_isalive
   * called, flags 0) has nothing to clean up and returns 0. The callbacks are
   * kept for their getters; pagepool raises no events and never panics. */
  int (*get_thread_count)(DB_ENV *, u_int32_t *);
  int (*set_thread_count)(DB_ENV *, u_int32_t); /* before open */
  int (*get_thread_id_fn)(DB_ENV *, void (**)(DB_ENV *, pid_t *, db_threadid_t *));
  int (*set_thread_id)(DB_ENV *, void (*)(DB_ENV *, pid_t *, db_threadid_t *));
  int (*get_thread_id_string_fn)(DB_ENV *,
                                 char *(**)(DB_ENV *, pid_t, db_threadid_t, char *));
  int (*set_thread_id_string)(DB_ENV *, char *(*)(DB_ENV *, pid_t, db_threadid_t, char *));
  int (*get_isalive)(DB_ENV *, int (**)(DB_ENV *, pid_t, db_threadid_t, u_int32_t));
  int (*set_isalive)(DB_ENV *, int (*)(DB_ENV *, pid_t, db_threadid_t, u_int32_t));
  int (*failchk)(DB_ENV *, u_int32_t);
  int (*set_event_notify)(DB_ENV *, void (*)(DB_ENV *, u_int32_t, void *));
  int (*get_feedback)(DB_ENV *, void (**)(DB_ENV *, int, int));
  int (*set_feedback)(DB_ENV *, void (*)(DB_ENV *, int, int));
  int (*set_paniccall)(DB_ENV *, void (*)(DB_ENV *, int));

  /* -- settings pagepool keeps but has no use for (before open): the shared
   * memory key (pools are private), lock/transaction/register timeouts, the
   * mode of intermediate directories (none are made), region memory. */
  int (*get_shm_key)(DB_ENV *, long *);
  int (*set_shm_key)(DB_ENV *, long);
  int (*get_timeout)(DB_ENV *, db_timeout_t *, u_int32_t);
  int (*set_timeout)(DB_ENV *, db_timeout_t, u_int32_t); /* any time */
  int (*get_intermediate_dir_mode)(DB_ENV *, const char **);
  int (*set_intermediate_dir_mode)(DB_ENV *, const char *);
  int (*get_memory_init)(DB_ENV *, DB_MEM_CONFIG, u_int32_t *);
  int (*set_memory_init)(DB_ENV *, DB_MEM_CONFIG, u_int32_t);
  int (*get_memory_max)(DB_ENV *, u_int32_t *, u_int32_t *);
  int (*set_memory_max)(DB_ENV *, u_int32_t, u_int32_t);
  int (*get_alloc)(DB_ENV *, void *(**)(size_t), void *(**)(void *, size_t),
                   void (**)(void *));
  int (*is_bigendian)(void);

  /* -- what pagepool does not do; each returns its error with a message and
   * changes nothing. Files are found relative to the home directory only:
   * set_data_dir, add_data_dir, set_create_dir and set_metadata_dir are
   * EINVAL (their getters report none set). There are no database files to
   * rewrite: fileid_reset and lsn_reset are EINVAL. There is no cryptography:
   * set_encrypt and get_encrypt_flags are DB_OPNOTSUP, as in a Berkeley DB
   * built without it. */
  int (*add_data_dir)(DB_ENV *, const char *);
  int (*set_data_dir)(DB_ENV *, const char *);
  int (*get_data_dirs)(DB_ENV *, const char ***);
  int (*get_create_dir)(DB_ENV *, const char **);
  int (*set_create_dir)(DB_ENV *, const char *);
  int (*get_metadata_dir)(DB_ENV *, const char **);
  int (*set_metadata_dir)(DB_ENV *, const char *);
  int (*fileid_reset)(DB_ENV *, const char *, u_int32_t);
  int (*lsn_reset)(DB_ENV *, const char *, u_int32_t);
  int (*get_encrypt_flags)(DB_ENV *, u_int32_t *);
  int (*set_encrypt)(DB_ENV *, const char *, u_int32_t);
};

/* ------------------------------------------------------------- functions */

int db_env_create(DB_ENV **dbenvp, u_int32_t flags);
char *db_strerror(int error);
char *db_version(int *major, int *minor, int *patch);

#ifdef __cplusplus
}
#endif

#endif /* PAGEPOOL_BDB_DB_H */
