/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one table of the log's record types (include/ttyaudit/log_records.h)
 * and their names: the "type" member of JSON records and JSON Lines, and
 * what the CLI shows. Add a type here and nowhere else.
 */
#ifndef TA_LOGFMT_RECORD_TYPES_H
#define TA_LOGFMT_RECORD_TYPES_H

#include <stdint.h>

/* The name of a record type ("session_start"), NULL for a type not in the table. */
const char *ta_rec_type_name(uint16_t type);
/*
 * The record type a name stands for; a name not in the table is kept as a
 * TA_REC_NOTICE (a newer part of the daemon may write kinds this one does
 * not know: kept, never dropped).
 */
uint16_t ta_rec_type_of(const char *name);

#endif
