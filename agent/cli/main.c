// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ttyaudit: the investigator's command line. Thin: it dispatches to the
 * subcommands of the table below. A subcommand lives in cmd_<name>.c, except
 * those that share most of their code with another: export (cmd_show.c),
 * reindex (cmd_status.c), verify-proof (cmd_prove.c) and checkpoint
 * (cmd_witness.c).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>

#include "cli/commands.h"
#include "base/exitcodes.h"
#include "base/log.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "query", ta_cmd_query, "list sessions by user, uid, host, tty, time, content; or their commands" },
	{ "show", ta_cmd_show, "print a session's transcript (escape sequences neutralised)" },
	{ "replay", ta_cmd_replay, "play a session back in real time" },
	{ "export", ta_cmd_export, "write a session as asciicast v2, JSON Lines or typescript" },
	{ "follow", ta_cmd_follow, "print new records as they are written" },
	{ "status", ta_cmd_status, "agent, backend, loss, log size, segments, latest checkpoint" },
	{ "reindex", ta_cmd_reindex, "rebuild the session index (a cache of the log)" },
	{ "verify", ta_cmd_verify, "check the whole log: Merkle tree, checkpoints, signatures" },
	{ "prove", ta_cmd_prove, "write an inclusion or consistency proof to a file" },
	{ "verify-proof", ta_cmd_verify_proof, "check a proof file offline against a checkpoint and key" },
	{ "checkpoint", ta_cmd_checkpoint, "print the latest checkpoint note (or the latest cosigned one)" },
	{ "witness-submit", ta_cmd_witness_submit, "send the latest checkpoint to witnesses, keep cosignatures" },
};

/*
 * Whether the command line asks for a fleet database: --fleet, or an abbreviation
 * getopt_long takes for it (--fl..., no other option starts so), with or without =DSN.
 */
static bool names_fleet(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2))
			continue;
		size_t n = strcspn(a + 2, "=");
		if (n >= 2 && n <= 5 && !strncmp(a + 2, "fleet", n))
			return true;
	}
	return false;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: ttyaudit [--version] [--help] COMMAND [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-14s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "\nEvery command takes --log-dir DIR (default /var/log/ttyaudit) and --help.\n"
		     "Run 'ttyaudit COMMAND --help' for its options.\n");
}

int main(int argc, char **argv)
{
	ta_log_init("ttyaudit", TA_LOG_INFO);
	if (argc < 2) {
		usage(stderr);
		return TA_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return TA_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("ttyaudit %s\n", TA_VERSION);
		return TA_EXIT_OK;
	}
	/*
	 * Of OpenSSL the commands use SHA-256 and Ed25519 signature checks only: not its legacy
	 * tables of every cipher and digest by name, nor its error strings, whose set-up on the
	 * first signature check was ~1 ms of every `query` (docs/performance.md, issue #20).
	 * Nor a configuration: a verdict depends on the log, the key and this program, not on
	 * providers or engines that openssl.cnf or $OPENSSL_CONF would load into the checker
	 * (and its parse was a tenth of a `query`); nor the clean-up at exit, which frees what
	 * the exit frees anyway. Except with --fleet: libpq's TLS reads the system's
	 * configuration, and looks certificates' signature digests up in those tables (without
	 * them every certificate is "ca md too weak"); once skipped they cannot be added later.
	 */
	if (!names_fleet(argc, argv))
		OPENSSL_init_crypto(OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
				    OPENSSL_INIT_NO_ADD_ALL_DIGESTS |
				    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
				    OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, NULL);
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	ta_err(NULL, "unknown command '%s'; run 'ttyaudit --help' for the list", argv[1]);
	return TA_EXIT_USAGE;
}
