"""Intake benchmark: one `run --once` pass over a backlog of partner e-mails in a local Dovecot.

Run by hand (not part of the test suite):  python bench/intake.py [--emails N] [--workers N]

It starts a throw-away Dovecot on 127.0.0.1, APPENDs N e-mails with a fixed mix of the example
forms, then runs one pass (scheduler.jobs.poll with the pipeline cpi_intake.app builds from a
settings object) on SQLite and on PostgreSQL (CPI_TEST_POSTGRES_URL, else a throw-away cluster
as the tests start one). It prints e-mails/s and forms/s end to end and where the time went:
IMAP (every call on the mail source, connecting included), MIME (reading each e-mail), parsing
(the pool's parse calls, timed once a worker is free, so waiting for one is not counted) and
storage (database sessions and the blob store), measured by timing proxies around those parts,
not by changing them. Parts are summed over threads; shares are of the sum of the four parts.
Beside it: parse-only forms/s for the same attachments through a pool with the same worker count,
fed by as many threads as it has workers (its full throughput: the target's reference), and the
same forms parsed one after another in one process, as bench/parse.py measures. The machine's
processor time (all processes, from /proc/stat) during each shows what intake adds per e-mail:
on a machine whose cores the parser workers already fill, that bounds end-to-end/parse-only.
With --repeat the figures are the medians of the runs (the parts those of the median run).
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "tests")]

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from cpi_intake import app  # noqa: E402
from cpi_intake.settings import Intake, Mailbox, Parsing, Service, Settings  # noqa: E402
import intake.pipeline  # noqa: E402
from intake.message import NOT_A_FORM, read_message  # noqa: E402
from parsers.parse import open_pool, parse_document  # noqa: E402
from scheduler.jobs import poll  # noqa: E402
from storage.models import Email, Item  # noqa: E402

import db_fixtures  # noqa: E402
from dovecot import Dovecot  # noqa: E402
from mail_samples import email_with_forms, email_without_form, example_form  # noqa: E402

# The mix: mostly the quick formats, a .doc in every hundred e-mails (LibreOffice, ~1 s each),
# scans only when asked for (OCR, seconds each). Weights per form drawn.
QUICK = {
    "v3-docx-template.docx": 20, "v2-docx-typed.docx": 10, "v1-docx-legacy.docx": 8,
    "v3-pdf-form.pdf": 20, "v1-pdf-text.pdf": 10, "v2-pdf-word-export.pdf": 12,
    "letter-not-a-form.docx": 3,
}
SHAPES = {"attachment": 70, "octet-stream": 8, "inline": 6, "rfc2231": 4, "forwarded": 6, "zip": 6}
FORMS_PER_EMAIL = {0: 4, 1: 82, 2: 11, 3: 3}
DOC_EVERY = 100  # one e-mail in this many carries a .doc
TARGET_OVERHEAD = 0.20  # IMAP + storage share of the pass
TARGET_RATIO = 0.80  # end-to-end forms/s over parse-only forms/s


# -- the backlog ------------------------------------------------------------------------------

def build_emails(count: int, scans: int, seed: int) -> tuple[list[bytes], Counter, Counter, Counter]:
    """`count` raw e-mails, plus counts of forms by file, e-mails by forms attached and by shape."""
    rng = random.Random(seed)
    data = {name: example_form(name) for name in [*QUICK, "v3-doc.doc", "v3-pdf-scanned.pdf"]}
    doc_at = set(range(DOC_EVERY // 2, count, DOC_EVERY))
    scan_at = set(rng.sample(range(count), min(scans, count)))
    emails, by_form, by_count, by_shape = [], Counter(), Counter(), Counter()
    for n in range(count):
        k = rng.choices(list(FORMS_PER_EMAIL), weights=list(FORMS_PER_EMAIL.values()))[0]
        names = rng.choices(list(QUICK), weights=list(QUICK.values()), k=k)
        if n in doc_at:
            names = ["v3-doc.doc", *names[1:]] if names else ["v3-doc.doc"]
        if n in scan_at:
            names = ["v3-pdf-scanned.pdf", *names[1:]] if names else ["v3-pdf-scanned.pdf"]
        sender = f"Safeguarding Lead <dsl{n % 40}@school{n % 7}.sch.uk>"
        if not names:
            emails.append(email_without_form(f"Please call me about case {n}.", sender=sender))
            by_shape["no form"] += 1
        else:
            shape = rng.choices(list(SHAPES), weights=list(SHAPES.values()))[0]
            forms = [(f"{i + 1}-{name}", data[name]) for i, name in enumerate(names)]
            emails.append(email_with_forms(forms, sender=sender, subject=f"CPI form {n}", shape=shape,
                                           extras=("signature-image",) if n % 5 == 0 else ()))
            by_shape[shape] += 1
        by_form.update(names)
        by_count[len(names)] += 1
    return emails, by_form, by_count, by_shape


def form_attachments(emails: list[bytes]) -> list[tuple[bytes, str]]:
    """The attachments the pipeline sends to the parser, found the way it finds them."""
    found = []
    for raw in emails:
        for a in read_message(raw).attachments:
            if a.rejected is None:
                found.append((a.data, a.filename))
            elif a.rejected != NOT_A_FORM:
                raise SystemExit(f"unexpected rejected attachment: {a.rejected}")
    return found


# -- timing proxies ---------------------------------------------------------------------------

def machine_cpu() -> float:
    """Processor seconds the whole machine has spent busy so far (every process, the kernel included)."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


class Clock:
    """Seconds spent per part, summed over threads; a call made inside a timed call counts once."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._local = threading.local()

    @contextmanager
    def timing(self, part: str) -> Iterator[None]:
        depth = getattr(self._local, "depth", 0)
        self._local.depth = depth + 1
        start = time.perf_counter()
        try:
            yield
        finally:
            self._local.depth = depth
            if depth == 0:
                spent = time.perf_counter() - start
                with self._lock:
                    self.seconds[part] += spent
                    self.calls[part] += 1

    def wrap(self, part: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.timing(part):
                return fn(*args, **kwargs)
        return timed


class TimedContext:
    """A context manager (a session, a savepoint) whose enter and exit are timed."""

    def __init__(self, clock: Clock, part: str, inner: Any) -> None:
        self._clock, self._part, self._inner = clock, part, inner

    def __enter__(self) -> Any:
        with self._clock.timing(self._part):
            entered = self._inner.__enter__()
        return self if entered is self._inner else entered

    def __exit__(self, *exc: Any) -> Any:
        with self._clock.timing(self._part):
            return self._inner.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if name in ("begin", "begin_nested"):
            return lambda *a, **k: TimedContext(self._clock, self._part, value(*a, **k))
        return self._clock.wrap(self._part, value) if callable(value) else value


class TimedSource:
    """A mail source whose every call, and every message its fetch yields, is timed as IMAP."""

    def __init__(self, clock: Clock, inner: Any) -> None:
        self._clock, self._inner = clock, inner

    def fetch(self, uids: list[str]) -> Iterator[tuple[str, bytes]]:
        it = iter(self._inner.fetch(uids))
        while True:
            with self._clock.timing("imap"):
                item = next(it, None)
            if item is None:
                return
            yield item

    def __getattr__(self, name: str) -> Any:
        return self._clock.wrap("imap", getattr(self._inner, name))


class TimedBlobs:
    def __init__(self, clock: Clock, inner: Any) -> None:
        self._clock, self._inner = clock, inner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        return self._clock.wrap("storage", value) if callable(value) else value


# -- servers ----------------------------------------------------------------------------------

@contextmanager
def postgres() -> Iterator[str]:
    """A fresh database on CPI_TEST_POSTGRES_URL's server, else on a throw-away cluster."""
    configured = os.environ.get(db_fixtures.POSTGRES_ENV)
    cluster = None
    if configured:
        server = configured
    else:
        bin_dir = db_fixtures._postgres_bin()
        if bin_dir is None:
            raise SystemExit(f"PostgreSQL not available: set {db_fixtures.POSTGRES_ENV} or install initdb/pg_ctl")
        cluster = db_fixtures.ThrowAwayCluster(bin_dir)
        cluster.start()
        server = cluster.url
    name = f"cpi_bench_{secrets.token_hex(6)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()
            if cluster is not None:
                cluster.stop()


def fill_mailbox(server: Dovecot, emails: list[bytes]) -> Any:
    user = server.add_user()
    with user.client() as box:
        for raw in emails:
            box.append(raw, "INBOX")
    return user


# -- the runs ---------------------------------------------------------------------------------

def timed_parse(clock: Clock, parse: Callable[[bytes, str], dict], workers: int) -> Callable[[bytes, str], dict]:
    """`parse`, timed from the moment one of the pool's `workers` is free."""
    free = threading.BoundedSemaphore(workers)

    def timed(data: bytes, filename: str) -> dict:
        with free, clock.timing("parse"):
            return parse(data, filename)
    return timed


def end_to_end(user: Any, database_url: str, data_dir: Path, workers: int, batch: int,
               parallel: int | None) -> dict[str, Any]:
    """One `run --once` pass over the user's INBOX; wall clock and time per part."""
    settings = Settings(
        service=Service(data_dir=data_dir, database_url=database_url),
        parsing=Parsing(workers=workers),
        intake=Intake(fetch_batch=batch),
        mailboxes=[Mailbox(name="bench", kind="imap", host="127.0.0.1", port=user.server.port, security="none",
                           username=user.name, password_file=user.password_file)],
        base_dir=data_dir,
    )
    clock = Clock()
    [job] = app.jobs(settings)
    opener = job.open_source
    job.open_source = lambda: TimedSource(clock, clock.wrap("imap", opener)())
    with app.service(settings) as pipeline:
        sessions = pipeline.sessions
        pipeline.sessions = lambda: TimedContext(clock, "storage", sessions())
        pipeline.blobs = TimedBlobs(clock, pipeline.blobs)
        pipeline.parse = timed_parse(clock, pipeline.parse, workers)
        if parallel is not None:
            pipeline.parallel = parallel
        pipeline.parse(example_form("v3-pdf-form.pdf"), "warm-up.pdf")  # workers up, as in parse-only
        clock.seconds.clear()
        clock.calls.clear()
        reader = intake.pipeline.read_message
        intake.pipeline.read_message = clock.wrap("mime", reader)
        try:
            start, cpu = time.perf_counter(), machine_cpu()
            result = poll(job, pipeline)
            wall, cpu = time.perf_counter() - start, machine_cpu() - cpu
        finally:
            intake.pipeline.read_message = reader
        with sessions() as s:
            emails = s.scalar(select(func.count()).select_from(Email))
            items = s.scalar(select(func.count()).select_from(Item).where(Item.attachment_id.is_not(None)))
    if result.error or result.skipped:
        raise SystemExit(f"the pass failed: {result.error or 'skipped'}")
    return {"wall": wall, "cpu": cpu, "emails": emails, "forms": items, "summary": result.summary,
            "seconds": dict(clock.seconds), "calls": dict(clock.calls),
            "parallel": getattr(pipeline, "parallel", 1)}


def parse_only(files: list[tuple[bytes, str]], workers: int) -> tuple[float, float]:
    """Seconds (wall clock, machine processor time) to parse `files` through a pool of `workers`,
    fed by `workers` threads."""
    with open_pool(Settings(parsing=Parsing(workers=workers)).parser_config()) as pool:
        pool.parse(example_form("v3-pdf-form.pdf"), "warm-up.pdf")
        start, cpu = time.perf_counter(), machine_cpu()
        with ThreadPoolExecutor(workers) as ex:
            for _ in ex.map(lambda f: pool.parse(*f), files):
                pass
        return time.perf_counter() - start, machine_cpu() - cpu


def one_process_rate(files: list[tuple[bytes, str]], repeat: int) -> float:
    """Forms/s for `files` parsed one after another in this process, as bench/parse.py measures
    (the median time of each distinct file, times how often it occurs)."""
    config = Settings().parser_config()
    counts: Counter[bytes] = Counter()
    names: dict[bytes, str] = {}
    for data, name in files:
        counts[data] += 1
        names.setdefault(data, name)
    seconds = 0.0
    for data, count in counts.items():
        times = []
        for _ in range(max(3, repeat)):
            start = time.perf_counter()
            parse_document(data, names[data], config)
            times.append(time.perf_counter() - start)
        seconds += statistics.median(times) * count
    return len(files) / seconds


def report(label: str, runs: list[dict[str, Any]], parse_rate: float, parse_cpu: float, one_process: float,
           workers: int) -> None:
    run = sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]
    wall, sec = run["wall"], run["seconds"]
    parts = {part: sec.get(part, 0.0) for part in ("imap", "mime", "parse", "storage")}
    total = sum(parts.values())
    forms_rate = statistics.median(r["forms"] / r["wall"] for r in runs)
    emails_rate = statistics.median(r["emails"] / r["wall"] for r in runs)
    ratio = forms_rate / parse_rate
    overhead = (parts["imap"] + parts["storage"]) / total
    s = run["summary"]
    walls = ", ".join(f"{r['wall']:.1f}" for r in runs)
    print(f"\n{label}: {run['emails']} e-mails, {run['forms']} forms parsed and filed; pass wall clock {walls} s "
          f"({run['parallel']} e-mails in hand)")
    print(f"  summary: {s.new} new, {s.forms} forms, {s.duplicate} duplicate, {s.unreadable} unreadable, "
          f"{s.no_form} without a form, {s.failed} failed")
    print(f"  end to end     {emails_rate:8.1f} e-mails/s {forms_rate:8.1f} forms/s")
    print(f"  parse-only     {'':>19} {parse_rate:8.1f} forms/s   end-to-end/parse-only {ratio:6.1%}"
          f"  (target >= {TARGET_RATIO:.0%}: {'met' if ratio >= TARGET_RATIO else 'MISSED'})")
    print(f"  one process    {'':>19} {one_process:8.1f} forms/s   end-to-end/one process "
          f"{forms_rate / one_process:6.1%}  (the same forms parsed in one process, as bench/parse.py measures)")
    cpu = statistics.median(r["cpu"] for r in runs)
    added = (cpu - parse_cpu) / run["emails"]
    print(f"  machine processor time {cpu:.1f} s, parse-only {parse_cpu:.1f} s: intake, mail server and database add "
          f"{added * 1000:.1f} ms per e-mail; with every core busy that caps end-to-end/parse-only near "
          f"{parse_cpu / cpu:.0%}")
    print("  time per part (summed over threads; share of the four parts):")
    for part, value in parts.items():
        calls = run["calls"].get(part, 0)
        print(f"    {part:<8}{value:8.2f} s {value / total:7.1%}   {calls:>6} calls"
              + (f" {value / calls * 1000:7.2f} ms each" if calls else ""))
    print(f"    IMAP + storage {overhead:.1%}  (target < {TARGET_OVERHEAD:.0%}: "
          f"{'met' if overhead < TARGET_OVERHEAD else 'MISSED'}); parser workers busy "
          f"{parts['parse'] / (wall * workers):.0%} of the pass")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--emails", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scans", type=int, default=0, help="e-mails carrying a scanned PDF (OCR, seconds each)")
    ap.add_argument("--batch", type=int, default=Intake().fetch_batch, help="e-mails per IMAP FETCH")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--only", choices=("sqlite", "postgresql"), help="run one database only")
    ap.add_argument("--repeat", type=int, default=1, help="runs per database (medians reported)")
    ap.add_argument("--parallel", type=int, help="e-mails the pipeline keeps in hand (default: its own)")
    args = ap.parse_args()

    emails, by_form, by_count, by_shape = build_emails(args.emails, args.scans, args.seed)
    files = form_attachments(emails)
    size = sum(len(e) for e in emails) / len(emails) / 1024
    print(f"backlog: {len(emails)} e-mails (mean {size:.0f} KiB), {len(files)} forms, "
          f"{args.workers} parser workers, fetch batch {args.batch}")
    print("  forms per e-mail: " + ", ".join(f"{k}: {v}" for k, v in sorted(by_count.items())))
    print("  shapes: " + ", ".join(f"{k} {v}" for k, v in by_shape.most_common()))
    print("  forms: " + ", ".join(f"{k} {v}" for k, v in by_form.most_common()))

    parse_runs = [parse_only(files, args.workers) for _ in range(args.repeat)]
    parse_rate = len(files) / statistics.median(wall for wall, _ in parse_runs)
    parse_cpu = statistics.median(cpu for _, cpu in parse_runs)
    print(f"\nparse-only: {len(files)} forms in {', '.join(f'{wall:.1f}' for wall, _ in parse_runs)} s, "
          f"{parse_rate:.1f} forms/s ({args.workers} workers fed by {args.workers} threads), "
          f"machine processor time {parse_cpu:.1f} s")
    one_process = one_process_rate(files, args.repeat)

    server = Dovecot()
    try:
        with tempfile.TemporaryDirectory(prefix="cpi-bench-") as tmp:
            for db in ("sqlite", "postgresql"):
                if args.only and db != args.only:
                    continue
                runs = []
                for n in range(args.repeat):
                    user = fill_mailbox(server, emails)
                    data_dir = Path(tmp) / f"{db}-{n}"
                    if db == "sqlite":
                        runs.append(end_to_end(user, f"sqlite:///{data_dir / 'cpi-intake.db'}", data_dir,
                                               args.workers, args.batch, args.parallel))
                    else:
                        with postgres() as url:
                            runs.append(end_to_end(user, url, data_dir, args.workers, args.batch, args.parallel))
                report(db, runs, parse_rate, parse_cpu, one_process, args.workers)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
