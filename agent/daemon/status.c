// SPDX-License-Identifier: GPL-2.0-or-later
#include "status.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/json.h"
#include "recorder/recorder.h"
#include "sink/sink_queue.h"
#include "store/store.h"

#define STATUS_NAME "ttyauditd.status"
#define STATUS_TMP STATUS_NAME ".tmp"

int ta_status_write(const struct ta_status_info *in)
{
	struct ta_json j;
	int fd, err = 0;

	ta_json_init(&j);
	ta_json_obj_begin(&j);
	ta_json_key(&j, "pid");
	ta_json_u64(&j, (uint64_t)getpid());
	ta_json_key(&j, "backend");
	ta_json_str(&j, in->backend);
	ta_json_key(&j, "integrity");
	ta_json_str(&j, in->integrity ? in->integrity : "none");
	ta_json_key(&j, "ring_bytes");
	ta_json_u64(&j, in->ring_bytes);
	ta_json_key(&j, "started");
	ta_json_time(&j, in->started_ns);
	ta_json_key(&j, "updated");
	ta_json_time(&j, ta_now_ns(CLOCK_REALTIME));
	ta_json_key(&j, "events");
	ta_json_u64(&j, in->stats->events);
	ta_json_key(&j, "bytes_output");
	ta_json_u64(&j, in->stats->bytes_output);
	ta_json_key(&j, "bytes_input");
	ta_json_u64(&j, in->stats->bytes_input);
	ta_json_key(&j, "lost_events");
	ta_json_u64(&j, in->stats->lost_events);
	ta_json_key(&j, "lost_bytes");
	ta_json_u64(&j, in->stats->lost_bytes);
	ta_json_key(&j, "sink_lost_events");
	ta_json_u64(&j, in->stats->sink_lost_events + in->stats->writer_lost_events);
	if (in->queue) {
		ta_json_key(&j, "queue_bytes");
		ta_json_u64(&j, in->queue->queued_bytes);
		ta_json_key(&j, "queue_peak_bytes");
		ta_json_u64(&j, in->queue->peak_bytes);
		ta_json_key(&j, "queue_lost_events");
		ta_json_u64(&j, in->queue->dropped_events);
		ta_json_key(&j, "queue_lost_bytes");
		ta_json_u64(&j, in->queue->dropped_bytes);
	}
	if (in->store) {
		struct ta_store_stats st;

		ta_store_get_stats(in->store, &st);
		ta_json_key(&j, "records");
		ta_json_u64(&j, ta_store_size(in->store));
		ta_json_key(&j, "durable_records");
		ta_json_u64(&j, ta_store_durable_index(in->store));
		ta_json_key(&j, "checkpoints");
		ta_json_u64(&j, st.checkpoints);
		ta_json_key(&j, "bytes_stored");
		ta_json_u64(&j, st.bytes_stored);
	}
	ta_json_obj_end(&j);
	if (j.oom) {
		ta_json_free(&j);
		return -ENOMEM;
	}
	/* Only root can make names here (ta_path_trusted); no name is followed all the same. */
	fd = openat(in->dirfd, STATUS_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW |
		    O_NONBLOCK, 0640);
	if (fd < 0) {
		err = -errno;
	} else {
		if (write(fd, j.buf, j.len) != (ssize_t)j.len || write(fd, "\n", 1) != 1)
			err = -EIO;
		close(fd);
		if (!err && renameat(in->dirfd, STATUS_TMP, in->dirfd, STATUS_NAME))
			err = -errno;
		if (err)
			unlinkat(in->dirfd, STATUS_TMP, 0);
	}
	ta_json_free(&j);
	return err;
}

void ta_status_remove(int dirfd)
{
	unlinkat(dirfd, STATUS_NAME, 0);
}
