/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Process exit codes, documented in docs/exit-codes.md and the man pages.
 * systemd's RestartPreventExitStatus= lists the ones a restart cannot fix.
 */
#ifndef TA_EXITCODES_H
#define TA_EXITCODES_H

enum ta_exit {
	TA_EXIT_OK = 0,
	TA_EXIT_FAILURE = 1,      /* runtime failure (I/O error, lost kernel link) */
	TA_EXIT_USAGE = 2,        /* bad command line */
	TA_EXIT_CONFIG = 3,       /* bad configuration file */
	TA_EXIT_NOPERM = 4,       /* missing privilege (root, CAP_BPF, group) */
	TA_EXIT_UNSUPPORTED = 5,  /* kernel lacks BTF or every backend failed */
	TA_EXIT_STORAGE = 6,      /* log directory unusable (missing, full, not ours) */
	TA_EXIT_VERIFY = 7,       /* verification found the log or a proof bad */
	TA_EXIT_CORRUPT = 8,      /* log unreadable in part; intact part was shown */
	TA_EXIT_NOTFOUND = 9,     /* no such session, record or checkpoint */
};

#endif
