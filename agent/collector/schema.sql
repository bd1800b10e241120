-- SPDX-License-Identifier: GPL-2.0-or-later
-- ttyaudit fleet collector schema (docs/fleet.md). Applied once by the database
-- owner: psql -v ON_ERROR_STOP=1 -f schema.sql. Idempotent. The collector
-- logs in as a member of ttyaudit_collector, investigators as members of
-- ttyaudit_investigator (read-only); neither needs a superuser.

DO $$ BEGIN CREATE ROLE ttyaudit_collector NOLOGIN;
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE ttyaudit_investigator NOLOGIN;
EXCEPTION WHEN duplicate_object THEN NULL; END $$;

-- Hosts allowed to ship: the origin of their checkpoints, the hash in their
-- subjects (first 16 hex digits of SHA-256(origin)) and their verifier key.
CREATE TABLE IF NOT EXISTS enrolment (
	origin       text PRIMARY KEY,
	subject_hash text NOT NULL UNIQUE,
	vkey         text NOT NULL,
	enrolled_at  timestamptz NOT NULL DEFAULT now()
);

-- The Merkle tree the collector recomputed per host: one leaf hash per record
-- index. Not partitioned: it is the uniqueness of (origin, idx) that catches a
-- forked log, and a unique key on a partitioned table must hold the time.
CREATE TABLE IF NOT EXISTS leaves (
	origin text NOT NULL REFERENCES enrolment,
	idx    bigint NOT NULL,
	leaf   bytea NOT NULL,
	PRIMARY KEY (origin, idx)
);

-- How far each host's tree is verified: size, root and compact range
-- (the subtree hashes of the right edge, largest first).
CREATE TABLE IF NOT EXISTS log_state (
	origin text PRIMARY KEY REFERENCES enrolment,
	size   bigint NOT NULL,
	root   bytea NOT NULL,
	crange bytea NOT NULL
);

-- The records as stored on the host (the bytes of their leaf), by time.
CREATE TABLE IF NOT EXISTS records (
	origin   text NOT NULL,
	idx      bigint NOT NULL,
	ts       timestamptz NOT NULL,
	time_ns  bigint NOT NULL,
	type     integer NOT NULL,
	session  bigint NOT NULL,
	stored   bytea NOT NULL
) PARTITION BY RANGE (ts);
CREATE TABLE IF NOT EXISTS records_default PARTITION OF records DEFAULT;
CREATE INDEX IF NOT EXISTS records_origin_idx ON records (origin, idx);
CREATE INDEX IF NOT EXISTS records_session ON records (origin, session, idx);

-- Monthly partitions; the owner runs this ahead of time (a cron job), dropping
-- old partitions is retention (docs/fleet.md).
CREATE OR REPLACE FUNCTION ttyaudit_add_partitions(first date, months integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE m date;
BEGIN
	FOR i IN 0 .. months - 1 LOOP
		m := date_trunc('month', first)::date + make_interval(months => i);
		EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF records '
			       'FOR VALUES FROM (%L) TO (%L)', 'records_' || to_char(m, 'YYYYMM'),
			       m, (m + interval '1 month')::date);
	END LOOP;
END $$;
SELECT ttyaudit_add_partitions(now()::date, 3);

-- The session index: per host and session, when and how many records.
CREATE TABLE IF NOT EXISTS sessions (
	origin   text NOT NULL,
	session  bigint NOT NULL,
	first_ts timestamptz NOT NULL,
	last_ts  timestamptz NOT NULL,
	records  bigint NOT NULL,
	PRIMARY KEY (origin, session)
);
CREATE INDEX IF NOT EXISTS sessions_time ON sessions (first_ts);

-- What query --fleet filters on (docs/fleet.md, "Fleet query"), merged by the
-- collector from each batch's records: a superset of what the host's own
-- session table says (the query rebuilds the rows it prints from the
-- records). first_ts and last_ts then also bound the login's start and end
-- and the terminal data's times. related: sessions sharing a pane with it;
-- global: the key holds log-wide records (gaps, agent starts). Added to an
-- existing database by applying this file again (idempotent).
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS auids bigint[] NOT NULL DEFAULT '{}',
	ADD COLUMN IF NOT EXISTS users text[] NOT NULL DEFAULT '{}',
	ADD COLUMN IF NOT EXISTS hosts text[] NOT NULL DEFAULT '{}',
	ADD COLUMN IF NOT EXISTS ttys text[] NOT NULL DEFAULT '{}',
	ADD COLUMN IF NOT EXISTS related bigint[] NOT NULL DEFAULT '{}',
	ADD COLUMN IF NOT EXISTS global boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS sessions_auids ON sessions USING gin (auids);
CREATE INDEX IF NOT EXISTS sessions_users ON sessions USING gin (users);
CREATE INDEX IF NOT EXISTS sessions_end ON sessions (last_ts);
CREATE INDEX IF NOT EXISTS sessions_global ON sessions (origin) WHERE global;

-- Per host, the records the collector inserted (count, smallest and largest
-- index) and those that did not decode: query --fleet reads a host through
-- the session index only when its records have no hole and all decode
-- (records = hi - lo + 1, undecodable = 0), else the whole host as before.
-- complete = false: the host has records from before the session index (its
-- sessions have no facts): read in full.
CREATE TABLE IF NOT EXISTS host_index (
	origin      text PRIMARY KEY,
	records     bigint NOT NULL,
	lo          bigint,
	hi          bigint,
	undecodable bigint NOT NULL DEFAULT 0,
	complete    boolean NOT NULL DEFAULT true
);
DO $$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM host_index) THEN
		INSERT INTO host_index (origin, records, lo, hi, complete)
		SELECT origin, count(*), min(idx), max(idx), false FROM records GROUP BY origin;
	END IF;
END $$;

-- Retention (docs/fleet.md): drops one records partition and takes its records
-- out of the session index and of host_index in the same transaction, so that
-- query --fleet keeps reading those hosts through the index (a session left
-- without records is deleted; a host's smallest index becomes its first kept
-- record). Dropping the oldest partitions keeps each host's records contiguous;
-- dropping another leaves a hole, which query reports as damage, as it would
-- for a local log missing records in the middle. Run by the owner.
CREATE OR REPLACE FUNCTION ttyaudit_drop_partition(part text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE dropped bigint;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		       WHERE i.inhparent = 'records'::regclass AND c.relname = part) THEN
		RAISE EXCEPTION '% is not a partition of records', part;
	END IF;
	EXECUTE format('LOCK TABLE %I IN ACCESS EXCLUSIVE MODE', part);
	EXECUTE format('CREATE TEMP TABLE ttyaudit_gone ON COMMIT DROP AS '
		       'SELECT origin, session, count(*) AS gone FROM %I GROUP BY origin, session', part);
	UPDATE sessions s SET records = s.records - g.gone FROM ttyaudit_gone g
	WHERE s.origin = g.origin AND s.session = g.session;
	DELETE FROM sessions s USING ttyaudit_gone g
	WHERE s.origin = g.origin AND s.session = g.session AND s.records <= 0;
	EXECUTE format('DROP TABLE %I', part);
	UPDATE host_index h SET records = h.records - x.gone,
		lo = (SELECT min(idx) FROM records r WHERE r.origin = h.origin)
	FROM (SELECT origin, sum(gone) AS gone FROM ttyaudit_gone GROUP BY origin) x
	WHERE h.origin = x.origin;
	SELECT coalesce(sum(g.gone), 0) INTO dropped FROM ttyaudit_gone g;
	DROP TABLE ttyaudit_gone;
	RETURN dropped;
END $$;

-- No JIT compilation in this database (docs/fleet.md, "Latency"): its statements are
-- short, and one whose cost estimate passes jit_above_cost (query --fleet for a
-- user with many sessions, a large batch of the collector) would be compiled for
-- milliseconds to tens of milliseconds each time. Set here, not by the clients'
-- startup options, which a connection pooler may refuse; a role's or a
-- connection's own jit setting still wins. For new sessions.
DO $$ BEGIN
	EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
END $$;

-- Every checkpoint verified, with the collector's cosignature line once cosigned.
CREATE TABLE IF NOT EXISTS checkpoints (
	origin      text NOT NULL REFERENCES enrolment,
	size        bigint NOT NULL,
	root        bytea NOT NULL,
	note        text NOT NULL,
	cosignature text,
	received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	cosigned_at timestamptz,
	PRIMARY KEY (origin, size)
);
-- A shipper's acknowledgement request reads its host's largest cosigned size: by this index,
-- not by walking the primary key down through checkpoints not cosigned.
CREATE INDEX IF NOT EXISTS checkpoints_cosigned ON checkpoints (origin, size)
	WHERE cosignature IS NOT NULL;

-- The witness state (c2sp tlog-witness): the latest cosigned size per origin.
CREATE TABLE IF NOT EXISTS witness_state (
	origin text PRIMARY KEY REFERENCES enrolment,
	size   bigint NOT NULL,
	root   bytea NOT NULL
);

-- What was refused, as received, with the alarm line: unknown origins, forged
-- or inconsistent checkpoints, records that differ from ones already received.
CREATE TABLE IF NOT EXISTS evidence (
	id          bigserial PRIMARY KEY,
	received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	subject     text NOT NULL,
	origin      text,
	kind        text NOT NULL,
	idx         bigint,
	alarm       text NOT NULL,
	message     bytea NOT NULL
);
-- sha256 and length are those of what was received: message keeps the first
-- TA_COLLECT_EVIDENCE_KEEP bytes of it when it is junk from the network (collect.c).
-- Nullable: a collector of the previous release, still running while this is applied,
-- inserts without them (its rows are not deduplicated by the index below).
ALTER TABLE evidence ADD COLUMN IF NOT EXISTS sha256 bytea;
ALTER TABLE evidence ADD COLUMN IF NOT EXISTS length bigint;
UPDATE evidence SET sha256 = sha256(message), length = octet_length(message) WHERE sha256 IS NULL;
-- The same evidence is kept once (a redelivered message; two collectors taking it at once
-- both found it absent before this was a unique index): an older schema's repeats are
-- removed first, keeping the first row of each.
DELETE FROM evidence e USING evidence f WHERE coalesce(e.origin, '') = coalesce(f.origin, '') AND
	e.kind = f.kind AND coalesce(e.idx, -1) = coalesce(f.idx, -1) AND e.sha256 = f.sha256 AND
	f.id < e.id AND NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'evidence_once');
CREATE INDEX IF NOT EXISTS evidence_place ON evidence (origin, idx);
CREATE UNIQUE INDEX IF NOT EXISTS evidence_once ON evidence (coalesce(origin, ''), kind,
	coalesce(idx, -1), sha256);
DROP INDEX IF EXISTS evidence_same;
-- What a host's evidence took per hour (origin '' for messages of no enrolled host), and
-- the pieces refused past TA_COLLECT_EVIDENCE_HOUR (collect.c): a host sending junk fills
-- neither the table nor the collectors' logs.
CREATE TABLE IF NOT EXISTS evidence_budget (
	origin text NOT NULL,
	hour   timestamptz NOT NULL,
	bytes  bigint NOT NULL DEFAULT 0,
	over   bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (origin, hour)
);
-- When a row came, not when its transaction began: a collector's transaction opens before
-- its batch is fetched (and the tables of an older schema said now()).
ALTER TABLE checkpoints ALTER COLUMN received_at SET DEFAULT clock_timestamp();
ALTER TABLE evidence ALTER COLUMN received_at SET DEFAULT clock_timestamp();

-- Checkpoints that wait for their records or their predecessor's cosignature (collector.h,
-- "Checkpoints that wait"): here, acknowledged in JetStream, so that they hold none of the
-- consumer's acknowledgement window, which every host shares. At most TA_COLLECT_PARKED_MAX
-- per host; the collectors take each again at next_try.
CREATE TABLE IF NOT EXISTS parked (
	origin     text NOT NULL REFERENCES enrolment,
	sha256     bytea NOT NULL,
	subject    text NOT NULL,
	body       bytea NOT NULL,
	entered_ns bigint NOT NULL,
	tries      integer NOT NULL,
	next_try   timestamptz NOT NULL,
	PRIMARY KEY (origin, sha256)
);
CREATE INDEX IF NOT EXISTS parked_due ON parked (next_try);

GRANT USAGE ON SCHEMA public TO ttyaudit_collector, ttyaudit_investigator;
GRANT SELECT ON enrolment TO ttyaudit_collector;
GRANT SELECT, INSERT ON leaves, records, checkpoints TO ttyaudit_collector;
GRANT UPDATE (cosignature, cosigned_at) ON checkpoints TO ttyaudit_collector;
GRANT SELECT, INSERT, UPDATE ON log_state, sessions, witness_state, host_index TO ttyaudit_collector;
GRANT SELECT, INSERT ON evidence TO ttyaudit_collector;
GRANT SELECT, INSERT, UPDATE ON evidence_budget TO ttyaudit_collector;
GRANT USAGE ON SEQUENCE evidence_id_seq TO ttyaudit_collector;
-- UPDATE: the collectors take rows FOR UPDATE SKIP LOCKED (park.c).
GRANT SELECT, INSERT, UPDATE, DELETE ON parked TO ttyaudit_collector;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO ttyaudit_investigator;
