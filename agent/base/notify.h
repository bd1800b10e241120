/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET, if set. */
#ifndef TA_NOTIFY_H
#define TA_NOTIFY_H

/* 0 if sent or no socket is set; -errno on failure. */
int ta_notify(const char *state);

#endif
