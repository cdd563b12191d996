/**
 * PostgreSQL's write-ahead log as walstash sees it: LSNs, segment sizes, the names of the files
 * PostgreSQL hands to {@code archive_command} and asks for in {@code restore_command}, timeline
 * history files and the long page header that opens every segment.
 *
 * <p>The names and formats follow PostgreSQL's {@code src/include/access/xlog_internal.h} and
 * {@code src/backend/access/transam/timeline.c}. Every type is an immutable value that checks
 * itself on construction; parsers throw {@link java.lang.IllegalArgumentException} with the
 * offending input quoted in the message.
 */
package io.walstash.core.wal;
