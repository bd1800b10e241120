#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""summarize.py RAW [--machine FILE]: prints the benchmark table from the raw
lines bench/run.sh collected. Figures only; nothing passes or fails.

Raw line kinds (space-separated, key=value after the tags):
  host ROUND STATE WORKLOAD k=v...      ptybench on this host (STATE off|on)
  daemon ROUND PHASE k=v...             ttyauditd cpu_s= wall_s= wakeups= events= rss_kb= hwm_kb=
  foreign ROUND N                       other ttyauditd processes seen in a round
  loss CASE RUN k=v...                  written= recorded= lost= lost_events= mb_per_s=
  vm SERIES BACKEND ROUND STATE WORKLOAD k=v...
  vmstop SERIES BACKEND ROUND <daemon stop line>
  ext NAME <line>                       store_bench / queue_bench / cli_bench / alerts_bench /
                                        fpbench output, verbatim
  note <text>
"""
import re
import statistics
import sys
from collections import defaultdict


def kv(tokens):
    out = {}
    for t in tokens:
        if '=' in t:
            k, v = t.split('=', 1)
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def mmm(vals, fmt='{:.2f}'):
    if not vals:
        return 'n/a'
    v = sorted(vals)
    med = statistics.median(v)
    return (fmt + ' / ' + fmt + ' / ' + fmt).format(v[0], med, v[-1])


def ratios(on, off):
    """Per-round ratio on/off (rounds run back to back), as a list."""
    return [on[r] / off[r] for r in on if r in off and off[r] > 0]


def pct_slower(rs):
    """Ratios of time on/off -> percent slower, min/median/max."""
    if not rs:
        return 'n/a'
    p = sorted((r - 1) * 100 for r in rs)
    return '{:+.1f}% / {:+.1f}% / {:+.1f}%'.format(p[0], statistics.median(p), p[-1])


HOST_WORKLOADS = ('cat-text', 'cat-random', 'write-64B', 'lines-24B')


def main():
    raw = sys.argv[1]
    host = defaultdict(lambda: defaultdict(dict))   # workload -> state -> round -> kv
    daemon = defaultdict(list)                       # phase -> [kv]
    foreign = {}
    loss = defaultdict(list)
    vm = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))  # (series,backend) -> wl -> state -> round
    vmstop = defaultdict(list)
    ext = defaultdict(list)
    bpf = defaultdict(lambda: defaultdict(list))     # workload -> program -> [(ns, runs, round)]
    notes = []
    with open(raw) as f:
        for line in f:
            t = line.rstrip('\n').split(' ')
            if not t or not t[0]:
                continue
            k = t[0]
            if k == 'host' and len(t) > 4:
                host[t[3]][t[2]][int(t[1])] = kv(t[4:])
            elif k == 'daemon' and len(t) > 3:
                row = kv(t[3:])
                row['round'] = int(t[1])
                daemon[t[2]].append(row)
            elif k == 'bpf' and len(t) > 4:
                row = kv(t[4:])
                bpf[t[2]][t[3].split('=', 1)[1]].append((row['ns'], row['runs'], int(t[1])))
            elif k == 'foreign' and len(t) == 3:
                foreign[int(t[1])] = int(t[2])
            elif k == 'loss' and len(t) > 3:
                row = kv(t[3:])
                row['sessions'] = float(t[2])
                loss[t[1]].append(row)
            elif k == 'vm' and len(t) > 6:
                vm[(t[1], t[2])][t[5]][t[4]][int(t[3])] = kv(t[6:])
            elif k == 'vmstop' and len(t) > 4:
                vmstop[(t[1], t[2])].append(' '.join(t[4:]))
            elif k == 'ext' and len(t) > 1:
                ext[t[1]].append(' '.join(t[2:]))
            elif k == 'note':
                notes.append(' '.join(t[1:]))

    print()
    print('=' * 100)
    print('ttyaudit benchmark  (min / median / max over runs; ratios are per round, off and on back to back)')
    print('=' * 100)
    for n in notes:
        print('note:', n)

    # 1. terminal overhead and 2. keystroke latency on this host
    print('\n[1] pty throughput on this host, ttyauditd off vs on (MB/s = 10^6 B/s; slower = time on/off - 1)')
    print('{:<26} {:>26} {:>26} {:>28}'.format('workload', 'off MB/s', 'on MB/s', 'slower with ttyauditd'))
    for wl in HOST_WORKLOADS:
        if wl not in host:
            continue
        off = {r: v['seconds'] for r, v in host[wl].get('off', {}).items()}
        on = {r: v['seconds'] for r, v in host[wl].get('on', {}).items()}
        offr = [v['mb_per_s'] for v in host[wl].get('off', {}).values()]
        onr = [v['mb_per_s'] for v in host[wl].get('on', {}).values()]
        print('{:<26} {:>26} {:>26} {:>28}'.format(wl, mmm(offr, '{:.1f}'), mmm(onr, '{:.1f}'),
                                                    pct_slower(ratios(on, off))))
    print('\n    CPU seconds of the writer (its syscalls, where the capture programs run) and of the pty reader')
    print('{:<26} {:>26} {:>26} {:>28}'.format('workload', 'off writer+reader s', 'on writer+reader s', 'CPU on/off - 1'))
    for wl in HOST_WORKLOADS:
        if wl not in host:
            continue
        cpu = {}
        for st in ('off', 'on'):
            cpu[st] = {r: v['writer_user_s'] + v['writer_sys_s'] + v['reader_cpu_s']
                       for r, v in host[wl].get(st, {}).items()}
        print('{:<26} {:>26} {:>26} {:>28}'.format(wl, mmm(list(cpu['off'].values())),
                                                    mmm(list(cpu['on'].values())),
                                                    pct_slower(ratios(cpu['on'], cpu['off']))))
    # The daemon's side of the same runs: its CPU per MB shown and per capture event.
    rows = []
    for wl in HOST_WORKLOADS:
        per_mb, per_ev, wk_per_k = [], [], []
        for d in daemon.get(wl, []):
            h = host.get(wl, {}).get('on', {}).get(d['round'])
            if not h:
                continue
            nbytes = h.get('bytes_written', 0) or h.get('bytes_read', 0)
            if nbytes > 0:
                per_mb.append(1000 * d['cpu_s'] / (nbytes / 1e6))
            if d.get('events', 0) > 0:
                per_ev.append(1e6 * d['cpu_s'] / d['events'])
                if 'wakeups' in d:
                    wk_per_k.append(1000 * d['wakeups'] / d['events'])
        if per_mb:
            rows.append((wl, per_mb, per_ev, wk_per_k))
    if rows:
        print('\n    ttyauditd for the same "on" runs (CPU until it had drained the workload; events = capture records)')
        print('{:<26} {:>26} {:>26} {:>28}'.format('workload', 'daemon CPU ms per MB', 'daemon CPU us per event',
                                                    'wake-ups per 1000 events'))
        for wl, per_mb, per_ev, wk in rows:
            print('{:<26} {:>26} {:>26} {:>28}'.format(wl, mmm(per_mb), mmm(per_ev), mmm(wk, '{:.1f}')))
    # The capture programs' own time (bpf_stats): per run, and per capture record of the workload.
    if bpf:
        print('\n[1c] BPF programs during the "on" runs (run_time_ns / run_cnt; runs = every system call of the host)')
        print('{:<26} {:>26} {:>26} {:>28}'.format('workload / program', 'ns per run', 'runs (millions)',
                                                    'us per capture record'))
        for wl in HOST_WORKLOADS:
            if wl not in bpf:
                continue
            ev = {d['round']: d.get('events', 0) for d in daemon.get(wl, [])}
            for prog in sorted(bpf[wl]):
                rows = bpf[wl][prog]
                per_ev = [ns / ev[r] / 1000 for ns, runs, r in rows if ev.get(r)]
                print('{:<26} {:>26} {:>26} {:>28}'.format(
                    (wl + ' ' + prog)[:26], mmm([ns / runs for ns, runs, _ in rows], '{:.0f}'),
                    mmm([runs / 1e6 for _, runs, _ in rows]), mmm(per_ev) if per_ev else '-'))
    if 'latency' in host:
        print('\n[2] keystroke round trip (1 byte into the master, wait for the echo), microseconds')
        print('{:<26} {:>26} {:>26} {:>28}'.format('percentile', 'off us', 'on us', 'on/off - 1'))
        for p in ('p50_us', 'p90_us', 'p99_us', 'max_us'):
            off = {r: v[p] for r, v in host['latency'].get('off', {}).items()}
            on = {r: v[p] for r, v in host['latency'].get('on', {}).items()}
            print('{:<26} {:>26} {:>26} {:>28}'.format(p, mmm(list(off.values()), '{:.1f}'),
                                                        mmm(list(on.values()), '{:.1f}'),
                                                        pct_slower(ratios(on, off))))
        cnt = [v.get('count', 0) for st in host['latency'].values() for v in st.values()]
        if cnt:
            print('    ({:.0f} round trips per run)'.format(min(cnt)))
    if 'syscalls' in host:
        print('\n[2b] system calls off any terminal (read /dev/zero, write /dev/null, getppid), ns per call')
        print('{:<26} {:>26} {:>26} {:>28}'.format('', 'off ns', 'on ns', 'on/off - 1'))
        for key, label in (('ns_per_call', 'wall per call'), ('cpu_ns_per_call', 'CPU per call')):
            off = {r: v[key] for r, v in host['syscalls'].get('off', {}).items() if key in v}
            on = {r: v[key] for r, v in host['syscalls'].get('on', {}).items() if key in v}
            print('{:<26} {:>26} {:>26} {:>28}'.format(label, mmm(list(off.values()), '{:.0f}'),
                                                        mmm(list(on.values()), '{:.0f}'),
                                                        pct_slower(ratios(on, off))))
    runs = [v for wl in host.values() for st in wl.values() for v in st.values()]
    if runs:
        busy = [v for v in runs if v.get('foreign', 0)]
        print('\n    other recorders (ttyauditd of other users of this machine) attached during {} of {} runs'
              ' (up to {:.0f} at once): their capture slows "off" and "on" alike'.format(
                  len(busy), len(runs), max([v.get('foreign', 0) for v in runs] + [0])))

    # 3. loss
    if loss:
        print('\n[3] loss: concurrent saturating (or paced) pty writers on raw ptys; written by the writers vs'
              ' recorded + lost from the daemon\'s stop line')
        print('{:<40} {:>22} {:>12} {:>12} {:>10} {:>10} {:>14}'.format(
            'case', 'MB/s achieved', 'written MB', 'recorded MB', 'lost MB', 'lossless', 'unaccounted B'))
        for case, rows in loss.items():
            una = [r['written'] - r['recorded'] - r['lost'] for r in rows]
            print('{:<40} {:>22} {:>12} {:>12} {:>10} {:>10} {:>14}'.format(
                case, mmm([r['mb_per_s'] for r in rows], '{:.1f}'),
                '{:.1f}'.format(statistics.median(r['written'] for r in rows) / 1e6),
                '{:.1f}'.format(statistics.median(r['recorded'] for r in rows) / 1e6),
                '{:.2f}'.format(statistics.median(r['lost'] for r in rows) / 1e6),
                '{} of {}'.format(sum(1 for r in rows if r['lost'] == 0), len(rows)),
                '{:.0f}..{:.0f}'.format(min(una), max(una))))
        # The zero-loss figure: the highest rate (default ring, default
        # priority) at which every run of a case was lossless.
        for k in sorted({int(r['sessions']) for rows in loss.values() for r in rows}):
            best = None
            for case, rows in loss.items():
                if '64K' in case or 'nice' in case or int(rows[0]['sessions']) != k:
                    continue
                if all(r['lost'] == 0 for r in rows):
                    rate = max(r['mb_per_s'] for r in rows)
                    best = rate if best is None else max(best, rate)
            print('    {} session(s), default ring: highest rate with zero loss in every run: {}'.format(
                k, 'none found' if best is None else '{:.1f} MB/s'.format(best)))
        print('    "unaccounted" = written - recorded - lost: 0 means every lost byte was counted;'
              ' negative means someone else recorded with the same login uid')

    # 4. daemon
    if daemon:
        print('\n[4] ttyauditd resources (CPU = utime+stime during the phase; % of one core over its wall time;'
              ' wake-ups = voluntary context switches, median)')
        print('{:<32} {:>20} {:>20} {:>20} {:>10} {:>10} {:>10}'.format(
            'phase', 'CPU s', 'CPU % of a core', 'VmRSS MiB', 'VmHWM MiB', 'anon MiB', 'wake-ups'))
        for ph, rows in daemon.items():
            wk = [r['wakeups'] for r in rows if 'wakeups' in r]
            print('{:<32} {:>20} {:>20} {:>20} {:>10} {:>10} {:>10}'.format(
                ph, mmm([r['cpu_s'] for r in rows], '{:.2f}'),
                mmm([100 * r['cpu_s'] / r['wall_s'] for r in rows if r['wall_s'] > 0], '{:.1f}'),
                mmm([r['rss_kb'] / 1024 for r in rows], '{:.1f}'),
                '{:.1f}'.format(max(r['hwm_kb'] for r in rows) / 1024),
                '{:.1f}'.format(statistics.median(r.get('anon_kb', 0) for r in rows) / 1024),
                '{:.0f}'.format(statistics.median(wk)) if wk else ''))
        pss = [r['pss_kb'] for r in daemon.get('idle', []) if 'pss_kb' in r]
        if pss:
            print('    idle: Pss {} MiB, file-backed+shared {} MiB (the ring buffer is mapped twice; VmRSS counts it twice)'.format(
                mmm([p / 1024 for p in pss], '{:.1f}'),
                mmm([(r.get('file_kb', 0) + r.get('shmem_kb', 0)) / 1024 for r in daemon['idle']], '{:.1f}')))

    # VM
    if vm:
        print('\n[1b] pty throughput in the qemu TCG VM (stock Debian kernels; only the on/off ratio means something)')
        print('{:<26} {:<12} {:>20} {:>20} {:>28} {:>28}'.format(
            'kernel/backend', 'workload', 'off MB/s', 'on MB/s', 'slower with ttyauditd', 'writer+reader CPU on/off-1'))
        for (series, backend) in sorted(vm):
            d = vm[(series, backend)]
            for wl in ('write', 'noise', 'small', 'lines', 'latency'):
                if wl not in d:
                    continue
                key = 'p50_us' if wl == 'latency' else 'seconds'
                off = {r: v[key] for r, v in d[wl].get('off', {}).items() if key in v}
                on = {r: v[key] for r, v in d[wl].get('on', {}).items() if key in v}
                if wl == 'latency':
                    offs, ons = mmm(list(off.values()), '{:.0f}'), mmm(list(on.values()), '{:.0f}')
                    name = 'p50 us'
                else:
                    offs = mmm([v['mb_per_s'] for v in d[wl].get('off', {}).values()], '{:.2f}')
                    ons = mmm([v['mb_per_s'] for v in d[wl].get('on', {}).values()], '{:.2f}')
                    name = {'write': 'write-64K', 'noise': 'cat-random', 'small': 'write-64B',
                            'lines': 'lines-24B'}[wl]
                cpu = {}
                for st in ('off', 'on'):
                    cpu[st] = {r: v['writer_user_s'] + v['writer_sys_s'] + v['reader_cpu_s']
                               for r, v in d[wl].get(st, {}).items() if 'writer_sys_s' in v}
                print('{:<26} {:<12} {:>20} {:>20} {:>28} {:>28}'.format(
                    series + ' ' + backend, name, offs, ons, pct_slower(ratios(on, off)),
                    pct_slower(ratios(cpu['on'], cpu['off'])) if cpu['on'] else ''))
            lost = []
            for s in vmstop[(series, backend)]:
                m = re.search(r'lost (\d+) events / (\d+) bytes', s)
                if m:
                    lost.append(int(m.group(2)))
            if lost:
                print('{:<26} {:<12} daemon lost bytes per round: {}'.format(
                    series + ' ' + backend, '', ', '.join(map(str, lost))))

    # 2c. the session footprint (bench/footprint/fpbench.py; its per-round lines left out)
    print('\n[2c] session footprint (fpbench)')
    for l in ext.get('fpbench') or ['not run']:
        if not l.startswith('round '):
            print('    ' + l)

    # 5. store and CLI
    for name in ('store_bench', 'queue_bench', 'cli_bench', 'cli_bench_10m', 'alerts_bench',
                 'alert_latency', 'crash_window', 'fault_campaign'):
        print('\n[5] {}'.format(name))
        lines = ext.get(name) or ['not built']
        for l in lines:
            print('    ' + l)
    print()


if __name__ == '__main__':
    main()
