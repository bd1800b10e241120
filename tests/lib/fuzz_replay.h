/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The replay main of a libFuzzer harness: with TA_FUZZ_STANDALONE the harness
 * is an ordinary program that runs each file (or each file of a directory)
 * through LLVMFuzzerTestOneInput, so its committed corpus and the crashers
 * fixed since are a unit test under any compiler. Include it after the
 * harness's LLVMFuzzerTestOneInput.
 */
#ifndef TA_TEST_FUZZ_REPLAY_H
#define TA_TEST_FUZZ_REPLAY_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef TA_FUZZ_STANDALONE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int fuzz_replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -1;
	}
	/* An exact-size copy: a read past the input is ASan's to see. */
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 1;
}

int main(int argc, char **argv)
{
	int files = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *de;

		if (stat(argv[i], &st) || !S_ISDIR(st.st_mode)) {
			if (fuzz_replay_file(argv[i]) < 0)
				return 1;
			files++;
			continue;
		}
		if (!(d = opendir(argv[i])))
			return 1;
		while ((de = readdir(d))) {
			char p[4096];

			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
			if (fuzz_replay_file(p) < 0) {
				closedir(d);
				return 1;
			}
			files++;
		}
		closedir(d);
	}
	fprintf(stderr, "%d inputs replayed through the fuzz target\n", files);
	return files > 0 ? 0 : 1;
}
#endif

#endif
