"""
The JSONL history writer and the stop conditions the python workloads share (issue 15;
the format is documented in test/chaos/README.md, "Workloads").

History: one JSON object per line, appended to the workload's own file. Each line goes
to the kernel in one os.write on an O_APPEND descriptor (looping only on a short write),
so a SIGKILL never leaves a torn line behind an earlier complete one, and a line is in
the file (page cache) before the call returns: a process killed right after logging an
invoke still shows it. Lines are at most LINE_BYTES_MAX bytes (a longer one is a bug in
the workload: ValueError).

Time: wall-clock milliseconds since the epoch (float), so files written by different
processes merge on one axis.

Stop: a workload runs until `seconds` have passed, SIGTERM/SIGINT arrived, or the stop
file (if given) exists; `Stop.requested()` answers all three.
"""
import json
import os
import signal
import time

LINE_BYTES_MAX = 4 * 1024 * 1024


def now_ms():
    return time.time() * 1000.0


class History:
    def __init__(self, path, process):
        self.process = process
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.lines = 0

    def write(self, entry):
        """Appends {type, f, process, time, **entry} as one line; returns the entry."""
        line = {'type': entry.pop('type'), 'f': entry.pop('f'), 'process': self.process, 'time': now_ms()}
        line.update(entry)
        data = (json.dumps(line, separators=(',', ':')) + '\n').encode('utf-8')
        if len(data) > LINE_BYTES_MAX:
            raise ValueError('history line of %d bytes exceeds %d' % (len(data), LINE_BYTES_MAX))
        view = memoryview(data)
        while len(view) > 0:
            written = os.write(self.fd, view)
            view = view[written:]
        self.lines += 1
        return line

    def close(self):
        os.close(self.fd)


class Stop:
    """Run bound: `seconds` of wall time, SIGTERM/SIGINT, or an existing stop file."""

    def __init__(self, seconds, stop_file=None):
        self.deadline = time.monotonic() + seconds
        self.stop_file = stop_file
        self.signalled = None
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum, _frame):
        self.signalled = signal.Signals(signum).name

    def requested(self):
        if self.signalled is not None:
            return True
        if time.monotonic() >= self.deadline:
            return True
        return self.stop_file is not None and os.path.exists(self.stop_file)

    def reason(self):
        if self.signalled is not None:
            return self.signalled
        if self.stop_file is not None and os.path.exists(self.stop_file):
            return 'stop-file'
        return 'seconds'
