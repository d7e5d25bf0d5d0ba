"""Round times and bytes written per round from one bench/round-io/run.sh run: python3 analyze.py OUT/LABEL."""
import re
import statistics
import sys
import time

w = sys.argv[1]


def seconds_of_day(hms):
    h, m, s = map(int, hms.split(':'))
    return h * 3600 + m * 60 + s


commits = {}
for line in open(w + '/coord.log'):
    m = re.match(r'(\d\d:\d\d:\d\d) .*round (\d+) committed as version', line)
    if m:
        commits[int(m.group(2))] = seconds_of_day(m.group(1))
compute = {}
for line in open(w + '/node.log'):
    m = re.match(r'round (\d+): .* loss [\d.]+, ([\d.]+) s,', line)
    if m:
        compute[int(m.group(1))] = float(m.group(2))
rounds = sorted(commits)
intervals, overheads = [], []
for r in rounds[1:]:
    if r - 1 in commits and r in compute:
        d = commits[r] - commits[r - 1]  # commit to commit, 1 s resolution
        intervals.append(d)
        overheads.append(d - compute[r])
print('commit-to-commit s:', intervals)
print('minus the trainer\'s compute s:', [round(x, 1) for x in overheads])
print('mean round %.1f s, of which not training %.1f s, over %d rounds'
      % (sum(intervals) / len(intervals), sum(overheads) / len(overheads), len(intervals)))
# the first interval also holds the trainer's first parameters file (both before and after): steady state after it
steady = overheads[1:]
print('not training from round %d on: mean %.1f s, median %.2f s per round'
      % (rounds[2], sum(steady) / len(steady), statistics.median(steady)))
samples = {}
roles = {}
for line in open(w + '/io.log'):
    t, pid, written, role = line.split()
    roles[pid] = role
    g = time.gmtime(float(t))
    samples.setdefault(pid, []).append((g.tm_hour * 3600 + g.tm_min * 60 + g.tm_sec + float(t) % 1, int(written)))
first, last = commits[rounds[1]], commits[rounds[-1]]
n = rounds[-1] - rounds[1]
for pid, s in samples.items():
    at_first = [b for t, b in s if t <= first]
    at_last = [b for t, b in s if t <= last]
    if at_first and at_last:
        print('pid %s (%s): %.1f MB written per round over %d rounds, %.1f MB in all'
              % (pid, roles[pid], (at_last[-1] - at_first[-1]) / n / 1e6, n,
                 max(b for _, b in s) / 1e6))
