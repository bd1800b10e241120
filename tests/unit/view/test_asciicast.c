// SPDX-License-Identifier: GPL-2.0-or-later
/* asciicast v2 writer and reader: header, events, UTF-8 joins and replacement. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "base/json_read.h"
#include "view/asciicast.h"

int main(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct ta_cast_writer w;

	ta_cast_begin(&w, f, 100, 40, 1767268800, "t\"itle", NULL);
	ta_cast_data(&w, 0.5, 'o', "hello \xe2\x9c", 8);    /* split check mark */
	ta_cast_data(&w, 0.25, 'o', "\x93 \x1b[1m\r\n", 8); /* earlier time: clamped */
	ta_cast_data(&w, 1.0, 'i', "ls\r", 3);
	ta_cast_data(&w, 1.5, 'o', "bad \xff!", 6);
	ta_cast_resize(&w, 2.0, 120, 50);
	CHECK_EQ_INT(ta_cast_end(&w), 0);
	fclose(f);
	CHECK_EQ_INT(w.replaced, 1);

	/* Read it back line by line. */
	char *save, *line = strtok_r(text, "\n", &save);
	struct ta_cast_header h;
	CHECK(line != NULL);
	CHECK_EQ_INT(ta_cast_parse_header(line, strlen(line), &h), 0);
	CHECK_EQ_INT(h.width, 100);
	CHECK_EQ_INT(h.height, 40);
	CHECK_EQ_INT(h.timestamp, 1767268800);
	struct ta_cast_event ev;
	ta_buf_init(&ev.data);
	struct ta_buf out;
	ta_buf_init(&out);
	double last = 0;
	int n = 0, resize = 0;
	while ((line = strtok_r(NULL, "\n", &save))) {
		CHECK_EQ_INT(ta_cast_parse_event(line, strlen(line), &ev), 0);
		CHECK(ev.t >= last);
		last = ev.t;
		if (!strcmp(ev.code, "o"))
			ta_buf_put(&out, ev.data.p, ev.data.len);
		else if (!strcmp(ev.code, "r"))
			resize = !memcmp(ev.data.p, "120x50", 6);
		else
			CHECK(!strcmp(ev.code, "i"));
		n++;
	}
	CHECK_EQ_INT(n, 5);
	CHECK(resize);
	static const char want[] = "hello \xe2\x9c\x93 \x1b[1m\r\nbad \xef\xbf\xbd!";
	CHECK_EQ_INT(out.len, sizeof(want) - 1);
	CHECK_MEM(out.p, want, sizeof(want) - 1);

	/* A recorded 65535x65535 (stty) is written fitted, so that the reader takes it back. */
	char *big = NULL;
	size_t biglen = 0;
	FILE *bf = open_memstream(&big, &biglen);
	CHECK_EQ_INT(ta_cast_begin(&w, bf, 65535, 65535, 0, NULL, NULL), 1);
	CHECK_EQ_INT(ta_cast_resize(&w, 1.0, 65535, 1), 1);
	CHECK_EQ_INT(ta_cast_resize(&w, 1.0, 80, 24), 0);
	CHECK_EQ_INT(ta_cast_end(&w), 0);
	fclose(bf);
	CHECK_EQ_INT(ta_cast_parse_header(big, (size_t)(strchr(big, '\n') - big), &h), 0);
	CHECK_EQ_INT(h.width, 10000);
	CHECK_EQ_INT(h.height, 104);
	CHECK(strstr(big, "\"r\", \"10000x1\"]") != NULL);
	free(big);

	/* Bad lines are refused, not misread. */
	const char *bad[] = { "[1.0, \"o\"]", "[\"x\", \"o\", \"a\"]", "[1.0, \"o\", \"a\", 4]", "{}", "[-1, \"o\", \"\"]",
			      /* a JSON number, but infinity as a time */
			      "[1e999, \"o\", \"a\"]" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(ta_cast_parse_event(bad[i], strlen(bad[i]), &ev) != 0);
	CHECK(ta_cast_parse_header("{\"version\": 1, \"width\": 80, \"height\": 24}", 41, &h) != 0);
	ta_buf_free(&ev.data);
	ta_buf_free(&out);
	free(text);
	return check_result();
}
