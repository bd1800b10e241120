/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Subcommands of the ttyaudit CLI. Each takes argv starting at its own name
 * (argv[0] = "verify", ...) and returns a process exit code (common/exitcodes.h).
 */
#ifndef TA_CLI_COMMANDS_H
#define TA_CLI_COMMANDS_H

int ta_cmd_verify(int argc, char **argv);
int ta_cmd_prove(int argc, char **argv);
int ta_cmd_verify_proof(int argc, char **argv);
int ta_cmd_checkpoint(int argc, char **argv);
int ta_cmd_witness_submit(int argc, char **argv);

int ta_cmd_query(int argc, char **argv);
int ta_cmd_show(int argc, char **argv);
int ta_cmd_export(int argc, char **argv);
int ta_cmd_replay(int argc, char **argv);
int ta_cmd_follow(int argc, char **argv);
int ta_cmd_status(int argc, char **argv);
int ta_cmd_reindex(int argc, char **argv);

#endif
