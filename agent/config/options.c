// SPDX-License-Identifier: GPL-2.0-or-later
#include "config/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/decimal.h"

void ta_daemon_opts_defaults(struct ta_daemon_opts *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->log_dir, sizeof(o->log_dir), "%s", TA_DEFAULT_LOG_DIR);
	snprintf(o->login_socket, sizeof(o->login_socket), "%s", TA_DEFAULT_LOGIN_SOCKET);
	o->capture.backend = TA_BACKEND_AUTO;
	o->capture.ring_bytes = TA_DEFAULT_RING_BYTES;
	o->capture.kretprobe_pool = TA_KRETPROBE_MAXACTIVE;
	o->capture.redact_noecho = true;
	o->capture.footprint = TA_FOOTPRINT_ON;
	snprintf(o->capture.btf_path, sizeof(o->capture.btf_path), "%s", TA_KERNEL_BTF);
}

static int parse_u32(const char *s, const char **end, uint32_t *out)
{
	uint64_t v;

	if (ta_parse_dec_u64(s, end, &v) || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int ta_parse_size(const char *s, uint32_t *out)
{
	const char *end;
	uint32_t v;
	unsigned long long mult = 1, bytes;

	if (parse_u32(s, &end, &v))
		return -EINVAL;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mult = 1ULL << 10; end++; break;
	case 'm': case 'M': mult = 1ULL << 20; end++; break;
	case 'g': case 'G': mult = 1ULL << 30; end++; break;
	default: return -EINVAL;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	bytes = (unsigned long long)v * mult;
	if (bytes > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)bytes;
	return 0;
}

int ta_parse_id_range(const char *s, uint32_t *lo, uint32_t *hi)
{
	const char *end;

	if (parse_u32(s, &end, lo))
		return -EINVAL;
	if (*end == '\0') {
		*hi = *lo;
		return 0;
	}
	if (*end != '-')
		return -EINVAL;
	end++;
	if (*end == '\0') {
		*hi = UINT32_MAX - 1; /* -1 is "unset", never a real id */
		return 0;
	}
	if (parse_u32(end, &end, hi) || *end || *hi < *lo)
		return -EINVAL;
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ttyauditd [OPTIONS]\n"
		"Record every terminal's input and output, attributed to its login session.\n\n"
		"      --config FILE       configuration file (default /etc/ttyaudit/ttyauditd.conf,\n"
		"                          if present); the command line overrides it\n"
		"  -d, --log-dir DIR       log directory (default %s)\n"
		"      --jsonl FILE        also write JSON Lines events to FILE ('-' = stdout)\n"
		"      --key-file FILE     checkpoint signing key (default DIR/ttyaudit.key)\n"
		"      --login-socket PATH socket audisp-ttyaudit connects to\n"
		"                          (default " TA_DEFAULT_LOGIN_SOCKET ")\n"
		"      --audit-log FILE    audit log read at start to back-fill open sessions\n"
		"      --rules-file FILE   alert rules (default /etc/ttyaudit/rules.conf, if present)\n"
		"      --alerts-jsonl FILE also append every alert to FILE as JSON Lines\n"
		"      --btf FILE          the running kernel's BTF, for kernels that do not\n"
		"                          publish it (default /sys/kernel/btf/vmlinux)\n"
		"  -b, --backend NAME      auto|fentry|kprobe|tracepoint (default auto)\n"
		"      --programs NAME     auto|full|fallback: the build of the BPF programs\n"
		"                          (default auto: full if the kernel has bpf_loop and\n"
		"                          BPF task storage)\n"
		"      --ring-size SIZE    BPF ring buffer, power of two (default 16M)\n"
		"      --kretprobe-pool N  kprobe backend: instances per return probe, up to\n"
		"                          4096 (the default); 0: the kernel's default pool\n"
		"      --require-kernel-capture  refuse to run unless a kernel-function backend\n"
		"                          (fentry, kprobe) works (exit 5)\n"
		"      --record-noecho     keep input typed with echo off (passwords);\n"
		"                          by default it is stored as a redaction marker\n"
		"      --footprint MODE    files, network and privilege calls of session processes:\n"
		"                          off, on (default: all but opens for reading), all\n"
		"      --include-uid R     record only these uids (R: N, N-M, N-); repeatable\n"
		"      --exclude-uid R     never record these uids; repeatable\n"
		"      --include-auid R    record only these login uids; repeatable\n"
		"      --exclude-auid R    never record these login uids; repeatable\n"
		"  -f, --foreground        stay in the foreground\n"
		"  -v, --verbose           more diagnostics\n"
		"  -h, --help              this help\n"
		"  -V, --version           version\n\n"
		"Exit codes: 0 ok, 1 runtime failure, 2 usage, 3 configuration (also a key file\n"
		"that is not a key), 4 no privilege,\n"
		"5 unsupported kernel, 6 log directory unusable, 8 the log is damaged where it\n"
		"was signed (see ttyauditd(8)).\n",
		TA_DEFAULT_LOG_DIR);
}

static int add_rule(struct ta_daemon_opts *o, uint8_t field, uint8_t action, const char *arg,
		    const char *optname, char *err, size_t err_len)
{
	struct ta_filter_rule *r;

	if (o->capture.n_rules >= TA_FILTER_RULES) {
		snprintf(err, err_len, "too many include/exclude rules (at most %d)", TA_FILTER_RULES);
		return -EINVAL;
	}
	r = &o->capture.rules[o->capture.n_rules];
	memset(r, 0, sizeof(*r));
	if (ta_parse_id_range(arg, &r->lo, &r->hi)) {
		snprintf(err, err_len, "%s: '%s' is not an id or range (N, N-M, N-)", optname, arg);
		return -EINVAL;
	}
	r->field = field;
	r->action = action;
	o->capture.n_rules++;
	return 0;
}

int ta_daemon_opts_parse(struct ta_daemon_opts *o, int argc, char **argv, char *err,
			 size_t err_len, void *out)
{
	enum { OPT_JSONL = 256, OPT_KEY, OPT_LOGIN_SOCKET, OPT_AUDIT_LOG, OPT_BTF, OPT_RULES, OPT_ALERTS_JSONL, OPT_RING, OPT_NOECHO, OPT_FOOTPRINT, OPT_REQ_KERNEL, OPT_IUID, OPT_XUID, OPT_IAUID, OPT_XAUID, OPT_PROGRAMS,
	       OPT_KRET_POOL };
	static const struct option longopts[] = {
		{ "log-dir", required_argument, NULL, 'd' },
		{ "jsonl", required_argument, NULL, OPT_JSONL },
		{ "key-file", required_argument, NULL, OPT_KEY },
		{ "login-socket", required_argument, NULL, OPT_LOGIN_SOCKET },
		{ "audit-log", required_argument, NULL, OPT_AUDIT_LOG },
		{ "btf", required_argument, NULL, OPT_BTF },
		{ "rules-file", required_argument, NULL, OPT_RULES },
		{ "alerts-jsonl", required_argument, NULL, OPT_ALERTS_JSONL },
		{ "backend", required_argument, NULL, 'b' },
		{ "programs", required_argument, NULL, OPT_PROGRAMS },
		{ "ring-size", required_argument, NULL, OPT_RING },
		{ "kretprobe-pool", required_argument, NULL, OPT_KRET_POOL },
		{ "record-noecho", no_argument, NULL, OPT_NOECHO },
		{ "footprint", required_argument, NULL, OPT_FOOTPRINT },
		{ "require-kernel-capture", no_argument, NULL, OPT_REQ_KERNEL },
		{ "include-uid", required_argument, NULL, OPT_IUID },
		{ "exclude-uid", required_argument, NULL, OPT_XUID },
		{ "include-auid", required_argument, NULL, OPT_IAUID },
		{ "exclude-auid", required_argument, NULL, OPT_XAUID },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	err[0] = '\0';
	optind = 0;  /* full reset, so the parser can run more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:b:fvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!*optarg || strlen(optarg) >= sizeof(o->log_dir)) {
				snprintf(err, err_len, "--log-dir: path is empty or too long");
				return -EINVAL;
			}
			snprintf(o->log_dir, sizeof(o->log_dir), "%s", optarg);
			break;
		case OPT_JSONL:
			if (!*optarg || strlen(optarg) >= sizeof(o->jsonl_path)) {
				snprintf(err, err_len, "--jsonl: path is empty or too long");
				return -EINVAL;
			}
			snprintf(o->jsonl_path, sizeof(o->jsonl_path), "%s", optarg);
			break;
		case OPT_KEY:
			if (!*optarg || strlen(optarg) >= sizeof(o->key_file)) {
				snprintf(err, err_len, "--key-file: path is empty or too long");
				return -EINVAL;
			}
			snprintf(o->key_file, sizeof(o->key_file), "%s", optarg);
			break;
		case OPT_LOGIN_SOCKET:
			if (!*optarg || strlen(optarg) >= sizeof(o->login_socket)) {
				snprintf(err, err_len, "--login-socket: path is empty or longer than %zu bytes",
					 sizeof(o->login_socket) - 1);
				return -EINVAL;
			}
			snprintf(o->login_socket, sizeof(o->login_socket), "%s", optarg);
			break;
		case OPT_AUDIT_LOG:
			if (strlen(optarg) >= sizeof(o->audit_log)) {
				snprintf(err, err_len, "--audit-log: path too long");
				return -EINVAL;
			}
			snprintf(o->audit_log, sizeof(o->audit_log), "%s", optarg);
			break;
		case OPT_BTF:
			if (!*optarg || strlen(optarg) >= sizeof(o->capture.btf_path)) {
				snprintf(err, err_len, "--btf: path is empty or too long");
				return -EINVAL;
			}
			snprintf(o->capture.btf_path, sizeof(o->capture.btf_path), "%s", optarg);
			break;
		case OPT_RULES:
		case OPT_ALERTS_JSONL: {
			char *dst = c == OPT_RULES ? o->rules_file : o->alerts_jsonl;

			if (!*optarg || strlen(optarg) >= sizeof(o->rules_file)) {
				snprintf(err, err_len, "%s: path is empty or too long",
					 c == OPT_RULES ? "--rules-file" : "--alerts-jsonl");
				return -EINVAL;
			}
			snprintf(dst, sizeof(o->rules_file), "%s", optarg);
			break;
		}
		case 'b':
			if (ta_backend_parse(optarg, &o->capture.backend)) {
				snprintf(err, err_len,
					 "--backend: unknown backend '%s' (auto, fentry, kprobe, tracepoint)",
					 optarg);
				return -EINVAL;
			}
			break;
		case OPT_PROGRAMS:
			if (ta_programs_parse(optarg, &o->capture.programs)) {
				snprintf(err, err_len,
					 "--programs: unknown programs '%s' (auto, full, fallback)", optarg);
				return -EINVAL;
			}
			break;
		case OPT_RING:
			if (ta_parse_size(optarg, &o->capture.ring_bytes) ||
			    o->capture.ring_bytes < 4096 ||
			    (o->capture.ring_bytes & (o->capture.ring_bytes - 1))) {
				snprintf(err, err_len,
					 "--ring-size: '%s' is not a power of two between 4K and 2G",
					 optarg);
				return -EINVAL;
			}
			break;
		case OPT_KRET_POOL: {
			const char *end;

			if (parse_u32(optarg, &end, &o->capture.kretprobe_pool) || *end ||
			    o->capture.kretprobe_pool > TA_KRETPROBE_MAXACTIVE) {
				snprintf(err, err_len, "--kretprobe-pool: '%s' is not a number from 0 "
					 "to %d", optarg, TA_KRETPROBE_MAXACTIVE);
				return -EINVAL;
			}
			break;
		}
		case OPT_NOECHO:
			o->capture.redact_noecho = false;
			break;
		case OPT_FOOTPRINT:
			if (ta_footprint_parse(optarg, &o->capture.footprint)) {
				snprintf(err, err_len, "--footprint: '%s' is not off, on or all", optarg);
				return -EINVAL;
			}
			break;
		case OPT_REQ_KERNEL:
			o->capture.require_kernel_capture = true;
			break;
		case OPT_IUID:
		case OPT_XUID:
		case OPT_IAUID:
		case OPT_XAUID:
			rc = add_rule(o, (c == OPT_IUID || c == OPT_XUID) ? TA_RULE_UID : TA_RULE_AUID,
				      (c == OPT_IUID || c == OPT_IAUID) ? TA_RULE_INCLUDE : TA_RULE_EXCLUDE,
				      optarg, c == OPT_IUID ? "--include-uid" : c == OPT_XUID ?
				      "--exclude-uid" : c == OPT_IAUID ? "--include-auid" : "--exclude-auid",
				      err, err_len);
			if (rc)
				return rc;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(out);
			return TA_OPTS_EXIT;
		case 'V':
			fprintf(out, "ttyauditd %s\n", TA_VERSION);
			return TA_OPTS_EXIT;
		case ':':
			snprintf(err, err_len, "option '%s' needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			snprintf(err, err_len, "unknown option '%s'; see ttyauditd --help",
				 argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(err, err_len, "unexpected argument '%s'; see ttyauditd --help", argv[optind]);
		return -EINVAL;
	}
	return TA_OPTS_RUN;
}
