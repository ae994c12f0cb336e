/*
 * pagepool/bdb/db_errors.h: every error code of Berkeley DB 5.3's public
 * header, with Berkeley DB's values, so that a program's error switch
 * compiles unchanged. Included by db.h; not meant to be included alone.
 *
 * The codes are negative, so they never collide with errno values. Most name
 * conditions of subsystems pagepool does not have (access methods, locking,
 * logging, replication): pagepool never returns those, but db_strerror
 * describes every one. The codes pagepool does return:
 *
 *   DB_BUFFER_SMALL    a DB_DBT_USERMEM Dbt too small (get_pgcookie)
 *   DB_PAGE_NOTFOUND   DB_MPOOLFILE->get of a page that does not exist
 *   DB_RUNRECOVERY     a page failed its checksum on the way in
 *   DB_PP_INCOMPLETE   a sync left pinned modified pages unwritten
 *                      (DB_INCOMPLETE is its Berkeley DB 2.x name)
 *   DB_OPNOTSUP        a method for something pagepool was built without
 */
#ifndef PAGEPOOL_BDB_DB_ERRORS_H
#define PAGEPOOL_BDB_DB_ERRORS_H

#include <errno.h>

/* Berkeley DB 5.3's public codes, -30999 .. -30969. */
#define DB_BUFFER_SMALL (-30999)
#define DB_DONOTINDEX (-30998)
#define DB_FOREIGN_CONFLICT (-30997)
#define DB_HEAP_FULL (-30996)
#define DB_KEYEMPTY (-30995)
#define DB_KEYEXIST (-30994)
#define DB_LOCK_DEADLOCK (-30993)
#define DB_LOCK_NOTGRANTED (-30992)
#define DB_LOG_BUFFER_FULL (-30991)
#define DB_LOG_VERIFY_BAD (-30990)
#define DB_NOSERVER (-30989)
#define DB_NOTFOUND (-30988)
#define DB_OLD_VERSION (-30987)
#define DB_PAGE_NOTFOUND (-30986)
#define DB_REP_DUPMASTER (-30985)
#define DB_REP_HANDLE_DEAD (-30984)
#define DB_REP_HOLDELECTION (-30983)
#define DB_REP_IGNORE (-30982)
#define DB_REP_ISPERM (-30981)
#define DB_REP_JOIN_FAILURE (-30980)
#define DB_REP_LEASE_EXPIRED (-30979)
#define DB_REP_LOCKOUT (-30978)
#define DB_REP_NEWSITE (-30977)
#define DB_REP_NOTPERM (-30976)
#define DB_REP_UNAVAIL (-30975)
#define DB_REP_WOULDROLLBACK (-30974)
#define DB_RUNRECOVERY (-30973)
#define DB_SECONDARY_BAD (-30972)
#define DB_TIMEOUT (-30971)
#define DB_VERIFY_BAD (-30970)
#define DB_VERSION_MISMATCH (-30969)

/* Codes Berkeley DB 5.3 declares in its public header for its own use
 * (-30898 .. -30887); an application can meet them in an event callback or a
 * switch copied from Berkeley DB's sources. -30899 is pagepool's (below). */
#define DB_CHKSUM_FAIL (-30898)
#define DB_DELETED (-30897)
#define DB_EVENT_NOT_HANDLED (-30896)
#define DB_NEEDSPLIT (-30895)
#define DB_REP_BULKOVF (-30894)
#define DB_REP_LOGREADY (-30893)
#define DB_REP_NEWMASTER (-30892)
#define DB_REP_PAGEDONE (-30891)
#define DB_SURPRISE_KID (-30890)
#define DB_SWAPBYTES (-30889)
#define DB_TXN_CKP (-30888)
#define DB_VERIFY_FATAL (-30887)

/* pagepool's: a sync found modified pages that stayed pinned while it waited;
 * they were not written (every other modified page was). Berkeley DB 2.x
 * called this result DB_INCOMPLETE (seed 001: DbMpoolFile::sync), so a 2.x
 * program's test of it compiles and means the same. */
#define DB_PP_INCOMPLETE (-30899)
#define DB_INCOMPLETE DB_PP_INCOMPLETE

/* "Operation not supported": Berkeley DB's name (internal to its sources)
 * for what a method returns when the library was built without the feature
 * it needs, such as set_encrypt in a build without cryptography. pagepool
 * returns it for the same cases. */
#ifndef DB_OPNOTSUP
#define DB_OPNOTSUP EOPNOTSUPP
#endif

#endif /* PAGEPOOL_BDB_DB_ERRORS_H */
