/*
 * pagepool/bdb/db_flags.h: the flags and constants of every DB_ENV and
 * DB_MPOOLFILE method db.h declares, with Berkeley DB 5.3's names and values,
 * grouped by the method that takes them. Included by db.h; not meant to be
 * included alone.
 *
 * A flag names something pagepool may not do: it still compiles, and the
 * method that gets it returns EINVAL with a message saying so (db.h says, for
 * each method, which flags it accepts). Values repeat across groups, as in
 * Berkeley DB: a flag means something only to the method it is passed to.
 */
#ifndef PAGEPOOL_BDB_DB_FLAGS_H
#define PAGEPOOL_BDB_DB_FLAGS_H

/* db_env_create */
#define DB_CXX_NO_EXCEPTIONS 0x00000002

/* DB_ENV->open. pagepool accepts DB_CREATE, DB_INIT_MPOOL, DB_INIT_MUTEX,
 * DB_LOCKDOWN, DB_PRIVATE, DB_SYSTEM_MEM, DB_THREAD and DB_USE_ENVIRON*; the
 * others are EINVAL. */
#define DB_CREATE 0x00000001
#define DB_RECOVER 0x00000002
#define DB_USE_ENVIRON 0x00000004
#define DB_USE_ENVIRON_ROOT 0x00000008
#define DB_FAILCHK 0x00000010
#define DB_THREAD 0x00000020
#define DB_FAILCHK_ISALIVE 0x00000040
#define DB_INIT_CDB 0x00000080
#define DB_INIT_LOCK 0x00000100
#define DB_INIT_LOG 0x00000200
#define DB_INIT_MPOOL 0x00000400
#define DB_INIT_MUTEX 0x00000800
#define DB_INIT_REP 0x00001000
#define DB_INIT_TXN 0x00002000
#define DB_LOCKDOWN 0x00004000
#define DB_PRIVATE 0x00010000
#define DB_RECOVER_FATAL 0x00020000
#define DB_REGISTER 0x00040000
#define DB_SYSTEM_MEM 0x00080000

/* DB_ENV->close */
#define DB_FORCESYNC 0x00000001

/* DB_ENV->remove */
#define DB_FORCE 0x00000001

/* DB_ENV->set_flags. pagepool acts on DB_NOMMAP and DB_DIRECT_DB; the others
 * belong to subsystems it does not have and are EINVAL. */
#define DB_TXN_NOSYNC 0x00000001
#define DB_TXN_NOWAIT 0x00000002
#define DB_TXN_SNAPSHOT 0x00000004
#define DB_MULTIVERSION 0x00000008
#define DB_NOMMAP 0x00000010
#define DB_TXN_WRITE_NOSYNC 0x00000020
#define DB_DATABASE_LOCKING 0x00000080
#define DB_AUTO_COMMIT 0x00000100
#define DB_DIRECT_DB 0x00000200
#define DB_DSYNC_DB 0x00000400
#define DB_HOTBACKUP_IN_PROGRESS 0x00000800
#define DB_NOFLUSH 0x00001000
#define DB_NOLOCKING 0x00002000
#define DB_NOPANIC 0x00004000
#define DB_OVERWRITE 0x00008000
#define DB_PANIC_ENVIRONMENT 0x00010000
#define DB_REGION_INIT 0x00020000
#define DB_TIME_NOTGRANTED 0x00040000
#define DB_YIELDCPU 0x00080000
#define DB_CDB_ALLDB 0x00000040

/* DB_ENV->set_encrypt (DB_OPNOTSUP in pagepool) and DB_ENV->fileid_reset */
#define DB_ENCRYPT_AES 0x00000001
#define DB_ENCRYPT 0x00000001

/* DB_ENV->set_timeout and ->get_timeout: which timeout */
#define DB_SET_LOCK_TIMEOUT 0x00000001
#define DB_SET_TXN_TIMEOUT 0x00000002
#define DB_SET_REG_TIMEOUT 0x00000004

/* DB_ENV->set_verbose and ->get_verbose: which messages */
#define DB_VERB_BACKUP 0x00000001
#define DB_VERB_DEADLOCK 0x00000002
#define DB_VERB_FILEOPS 0x00000004
#define DB_VERB_FILEOPS_ALL 0x00000008
#define DB_VERB_RECOVERY 0x00000010
#define DB_VERB_REGISTER 0x00000020
#define DB_VERB_REPLICATION 0x00000040
#define DB_VERB_REPMGR_CONNFAIL 0x00000080
#define DB_VERB_REPMGR_MISC 0x00000100
#define DB_VERB_REP_ELECT 0x00000200
#define DB_VERB_REP_LEASE 0x00000400
#define DB_VERB_REP_MISC 0x00000800
#define DB_VERB_REP_MSGS 0x00001000
#define DB_VERB_REP_SYNC 0x00002000
#define DB_VERB_REP_SYSTEM 0x00004000
#define DB_VERB_REP_TEST 0x00008000
#define DB_VERB_WAITSFOR 0x00010000

/* DB_ENV->set_event_notify: the event the callback is told of */
#define DB_EVENT_PANIC 0
#define DB_EVENT_REG_ALIVE 1
#define DB_EVENT_REG_PANIC 2
#define DB_EVENT_REP_CLIENT 3
#define DB_EVENT_REP_CONNECT_BROKEN 4
#define DB_EVENT_REP_CONNECT_ESTD 5
#define DB_EVENT_REP_CONNECT_TRY_FAILED 6
#define DB_EVENT_REP_DUPMASTER 7
#define DB_EVENT_REP_ELECTED 8
#define DB_EVENT_REP_ELECTION_FAILED 9
#define DB_EVENT_REP_INIT_DONE 10
#define DB_EVENT_REP_JOIN_FAILURE 11
#define DB_EVENT_REP_LOCAL_SITE_REMOVED 12
#define DB_EVENT_REP_MASTER 13
#define DB_EVENT_REP_MASTER_FAILURE 14
#define DB_EVENT_REP_NEWMASTER 15
#define DB_EVENT_REP_PERM_FAILED 16
#define DB_EVENT_REP_SITE_ADDED 17
#define DB_EVENT_REP_SITE_REMOVED 18
#define DB_EVENT_REP_STARTUPDONE 19
#define DB_EVENT_REP_WOULD_ROLLBACK 20
#define DB_EVENT_WRITE_FAILED 21
#define DB_EVENT_NO_SUCH_EVENT 0xffffffff

/* DB_ENV->set_isalive's callback: flags */
#define DB_MUTEX_PROCESS_ONLY 0x00000008

/* DB_ENV->set_thread_id_string: the buffer its callback fills */
#define DB_THREADID_STRLEN 128

/* DB_MPOOLFILE->open */
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

/* DB_MPOOLFILE->put and ->set (DB_MPOOL_DIRTY as above). DB_MPOOL_CLEAN is
 * the manual's (and Berkeley DB 2.x's); 5.3's header dropped it. */
#define DB_MPOOL_DISCARD 0x00000001
#define DB_MPOOL_CLEAN 0x00000008

/* DB_MPOOLFILE->set_flags */
#define DB_MPOOL_NOFILE 0x00000001
#define DB_MPOOL_UNLINK 0x00000002
#define DB_MPOOL_NOLOCK 0x00000004 /* EINVAL here */

/* memp_stat, memp_stat_print and DB_ENV->stat_print */
#define DB_STAT_CLEAR 0x00000001
#define DB_STAT_SUBSYSTEM 0x00000002
#define DB_STAT_ALL 0x00000004
#define DB_STAT_ALLOC 0x00000008
#define DB_STAT_MEMP_HASH 0x00000010
#define DB_STAT_MEMP_NOERROR 0x00000020

/* DBT flags */
#define DB_DBT_APPMALLOC 0x001
#define DB_DBT_ISSET 0x008
#define DB_DBT_MALLOC 0x010
#define DB_DBT_MULTIPLE 0x020
#define DB_DBT_PARTIAL 0x040
#define DB_DBT_REALLOC 0x080
#define DB_DBT_READONLY 0x100
#define DB_DBT_USERCOPY 0x400
#define DB_DBT_USERMEM 0x800

#endif /* PAGEPOOL_BDB_DB_FLAGS_H */
