#!/usr/bin/env python3
"""Prints the benchmark table from the raw results run.sh writes (one TSV row per run).

    python3 bench/report.py RESULTS.tsv --date D --machine M --commit C --filesystem F \
        --elapsed SECONDS --runs R --rss-runs R

Every throughput is messages (or letters) per second of wall-clock time for the whole command,
start to exit, as a user would time it. Each figure is the median of its runs; the range of the
runs is shown after it when there was more than one. Standard library only.
"""

import argparse
import csv
import statistics
import sys
from collections import defaultdict

TARGET_SOURCE = 0.5
TARGET_MAILMERGE = 8.0
TARGET_DRY = 5.0
TARGET_RSS_MB = 100.0


def load(path):
    rows = defaultdict(list)
    extra = {}
    with open(path, encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            rows[(r["section"], r["case"])].append(r)
            extra[(r["section"], r["case"])] = r["extra"]
    return rows, extra


def rates(runs):
    return [int(r["n"]) / float(r["seconds"]) for r in runs if float(r["seconds"]) > 0]


INTERFERENCE = 0.10  # other processes' CPU, as a share of one core over the run


def disturbed(runs):
    return any(float(r.get("other_cpu_s") or 0) > INTERFERENCE * float(r["seconds"]) for r in runs)


def fmt_rate(runs):
    if not runs:
        return "-"
    xs = rates(runs)
    med = statistics.median(xs)
    mark = " *" if disturbed(runs) else ""
    if len(xs) == 1:
        return f"{med:,.0f} (1 run){mark}"
    return f"{med:,.0f} ({min(xs):,.0f}-{max(xs):,.0f}){mark}"


def med_rate(runs):
    return statistics.median(rates(runs)) if runs else None


def med_rss_mb(runs):
    return statistics.median(int(r["rss_kb"]) for r in runs) / 1024 if runs else None


def table(header, body):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    line = lambda cells: "  " + "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    out = [line(header), "  " + "  ".join("-" * w for w in widths)]
    out += [line(b) for b in body]
    return "\n".join(out)


def verdict(value, target, higher=True):
    if value is None:
        return "n/a"
    ok = value >= target if higher else value < target
    return "holds" if ok else "MISSED"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    for opt in ("date", "machine", "commit", "filesystem", "elapsed", "runs", "rss-runs", "load"):
        ap.add_argument("--" + opt, default="?")
    a = ap.parse_args()
    rows, extra = load(a.results)

    def cases(section):
        return [k[1] for k in rows if k[0] == section]

    sizes = dict(kv.split("=") for kv in extra.get(("meta", "sizes"), "").split() if "=" in kv)
    conc = sorted({int(c.split("c=")[1]) for c in cases("source") + cases("lp_send")})
    send_n = sorted({int(c.split()[0][2:]) for c in cases("lp_send")})
    source_m = next((r[0]["n"] for k, r in rows.items() if k[0] == "source"), "?")
    mm_n = next((r[0]["n"] for k, r in rows.items() if k[0] == "mm_send"), "?")
    dry_n = next((r[0]["n"] for k, r in rows.items() if k[0] in ("mm_dry", "lp_dry")), "?")
    elapsed = int(a.elapsed) if a.elapsed.isdigit() else 0

    p = print
    p("letterpost benchmark (bench/run.sh)")
    p(f"  date:       {a.date}")
    p(f"  machine:    {a.machine}")
    p(f"  filesystem: {a.filesystem}")
    p(f"  letterpost: commit {a.commit}")
    p(f"  load avg:   {a.load}")
    p(f"  runs:       {a.runs} per figure, median shown, range of the runs in brackets; "
      f"peak RSS: {a.rss_runs} per N")
    p(f"  total time: {elapsed // 60} min {elapsed % 60} s")
    if sizes:
        p(f"  message sizes: letterpost letter {int(sizes.get('lp', 0)):,} B (text + HTML + appendix); "
          f"mailmerge same letter {int(sizes.get('mm_letter', 0)):,} B; "
          f"mailmerge plain letter {int(sizes.get('mm_plain', 0)):,} B; smtp-source -l 4096 ~4.3 KB")
    p("")
    # A run of only some cases (BENCH_ONLY) prints only their sections.
    show_section = lambda *sections: any(cases(sec) for sec in sections)

    if show_section("source"):
        section_source(p, rows, conc, source_m)
    if show_section("lp_send"):
        section_send(p, rows, conc, send_n)
    mm_letter = rows.get(("mm_send", "letter"), [])
    mm_plain = rows.get(("mm_send", "plain"), [])
    if show_section("mm_send"):
        section_mailmerge(p, mm_n, mm_letter, mm_plain)
    lp_dry = rows.get(("lp_dry", "letterpost"), [])
    mm_dry_l = rows.get(("mm_dry", "letter"), [])
    mm_dry_p = rows.get(("mm_dry", "plain"), [])
    if show_section("lp_dry", "mm_dry"):
        section_dry(p, dry_n, lp_dry, mm_dry_l, mm_dry_p)
    rss_points = sorted((int(c[2:]), med_rss_mb(rows[("rss", c)]), fmt_rate(rows[("rss", c)]))
                        for c in cases("rss"))
    if rss_points:
        section_rss(p, rss_points)
    if show_section("fsync"):
        section_fsync(p, rows, cases("fsync"))
    if show_section("greylist"):
        section_greylist(p, rows, cases("greylist"))
    if show_section("lp_send", "lp_dry", "rss"):
        section_targets(p, rows, conc, send_n, mm_n, dry_n, mm_letter, mm_plain, lp_dry, mm_dry_l,
                        mm_dry_p, rss_points)
    interference(p, rows)
    return 0


def cpu_us(runs):
    return statistics.median((float(r["user_s"]) + float(r["sys_s"])) / int(r["n"]) * 1e6 for r in runs)


def section_source(p, rows, conc, source_m):
    p(f"1. Physical limit: smtp-source -> smtp-sink over loopback, {source_m} messages per run, messages/s")
    body = []
    for c in conc:
        body.append([c] + [fmt_rate(rows.get(("source", f"{lab} c={c}"), []))
                           for lab in ("4k-reuse", "4k-new", "eml-reuse")])
    p(table(["concurrency", "4 KB, reuse (-d)", "4 KB, new connection", "letterpost's .eml, reuse (-d)"], body))
    p("")


def section_send(p, rows, conc, send_n):
    p("2. letterpost send -> smtp-sink (durable log on; sink count = N, log accepted = N, log verify OK), messages/s")
    body = []
    for n in send_n:
        body.append([f"{n:,}"] + [fmt_rate(rows.get(("lp_send", f"N={n} c={c}"), [])) for c in conc])
    p(table(["N"] + [f"concurrency {c}" for c in conc], body))
    body = []
    for n in send_n:
        body.append([f"{n:,}"] + [f"{cpu_us(rows[('lp_send', f'N={n} c={c}')]):,.0f} us"
                                  if ("lp_send", f"N={n} c={c}") in rows else "-" for c in conc])
    p("  letterpost CPU time (user + sys) per message, median:")
    p(table(["N"] + [f"concurrency {c}" for c in conc], body))
    rss_send = []
    for n in send_n:
        kb = [int(r["rss_kb"]) for k, rs in rows.items() if k[0] == "lp_send" and k[1].startswith(f"N={n} ")
              for r in rs]
        rss_send.append(f"N={n:,}: {max(kb) / 1024:.0f} MB")
    if rss_send:
        p(f"  letterpost peak RSS during these sends (max over runs): {'; '.join(rss_send)}")
    p("")


def section_mailmerge(p, mm_n, mm_letter, mm_plain):
    p(f"3. mailmerge 2.3.0 send -> smtp-sink, N={mm_n} (one connection per message), messages/s")
    p(table(["message", "messages/s", "peak RSS"], [
        ["same letter: text + HTML + appendix attached", fmt_rate(mm_letter),
         f"{med_rss_mb(mm_letter) or 0:.0f} MB"],
        ["plain-text letter only (reference)", fmt_rate(mm_plain), f"{med_rss_mb(mm_plain) or 0:.0f} MB"],
    ]))
    p("")


def section_dry(p, dry_n, lp_dry, mm_dry_l, mm_dry_p):
    p(f"4. Dry run, N={dry_n}, letters/s")
    p(table(["tool", "letters/s", "peak RSS", "CPU/letter"], [
        ["letterpost send --dry-run (writes the outbox)", fmt_rate(lp_dry), f"{med_rss_mb(lp_dry) or 0:.0f} MB",
         f"{cpu_us(lp_dry):,.0f} us" if lp_dry else "-"],
        ["mailmerge --dry-run --no-limit > /dev/null, same letter", fmt_rate(mm_dry_l),
         f"{med_rss_mb(mm_dry_l) or 0:.0f} MB", f"{cpu_us(mm_dry_l):,.0f} us" if mm_dry_l else "-"],
        ["mailmerge --dry-run --no-limit > /dev/null, plain letter", fmt_rate(mm_dry_p),
         f"{med_rss_mb(mm_dry_p) or 0:.0f} MB", f"{cpu_us(mm_dry_p):,.0f} us" if mm_dry_p else "-"],
    ]))
    p("")


def section_rss(p, rss_points):
    p("5. letterpost peak RSS (max resident set, GNU time %M), send --dry-run")
    p(table(["N", "peak RSS", "letters/s"], [[f"{n:,}", f"{mb:.1f} MB", r] for n, mb, r in rss_points]))
    p("")


def section_fsync(p, rows, fsync_cases):
    p("6. fsync-family calls during a letterpost send (strace -f -y), per message")
    body = []
    for c in fsync_cases:
        r = rows[("fsync", c)][0]
        n = int(r["n"])
        kv = dict(x.split("=") for x in r["extra"].split())
        total = int(kv.get("total", 0))
        calls = ", ".join(f"{k} {v}" for k, v in sorted(kv.items())
                          if k not in ("total",) and not k.startswith("on_"))
        where = ", ".join(f"{k[3:]} {int(v) / n:.2f}/msg ({v})" for k, v in sorted(kv.items())
                          if k.startswith("on_"))
        body.append([c.replace("c=", "concurrency "), f"{n:,}", f"{total / n:.2f}", calls, where])
    p(table(["send", "messages", "calls/message", "calls", "by file"], body))
    p("")


def section_greylist(p, rows, grey_cases):
    p("7. One greylisted address (451 to its first RCPT), letterpost send at concurrency 1, "
      "seconds from the start of the run")
    body = []
    for c in grey_cases:
        for r in rows[("greylist", c)]:
            kv = dict(x.split("=") for x in r["extra"].split())
            body.append([c, r["run"], f"{float(r['seconds']):.2f}", kv.get("others_done", "?"),
                         kv.get("retry_wait", "?"), kv.get("grey_done", "?")])
    p(table(["case", "run", "whole command", "other letters all accepted", "greylisted letter waited",
             "greylisted letter accepted"], body))
    p("")


def section_targets(p, rows, conc, send_n, mm_n, dry_n, mm_letter, mm_plain, lp_dry, mm_dry_l,
                    mm_dry_p, rss_points):
    p("Targets (issue 5)")
    body = []
    for n in send_n:
        for c in conc:
            lp = med_rate(rows.get(("lp_send", f"N={n} c={c}"), []))
            src = med_rate(rows.get(("source", f"4k-reuse c={c}"), []))
            eml = med_rate(rows.get(("source", f"eml-reuse c={c}"), []))
            if lp is None or src is None:
                continue
            r1 = lp / src
            body.append([f"send / smtp-source 4 KB reuse, N={n:,} c={c}", f">= {TARGET_SOURCE}",
                         f"{r1:.3f}", verdict(r1, TARGET_SOURCE),
                         f"(vs same-size .eml: {lp / eml:.3f})" if eml else ""])
    mm = med_rate(mm_letter)
    mmp = med_rate(mm_plain)
    try:
        mm_n_int = int(mm_n)
    except ValueError:
        mm_n_int = None
    for c in conc:
        lp = med_rate(rows.get(("lp_send", f"N={mm_n_int} c={c}"), []))
        if lp is None or mm is None:
            continue
        body.append([f"send / mailmerge send, N={mm_n_int:,} c={c}", f">= {TARGET_MAILMERGE:g}",
                     f"{lp / mm:.1f}", verdict(lp / mm, TARGET_MAILMERGE),
                     f"(vs plain-letter mailmerge: {lp / mmp:.1f})" if mmp else ""])
    lpd, mmd, mmdp = med_rate(lp_dry), med_rate(mm_dry_l), med_rate(mm_dry_p)
    if lpd and mmd:
        body.append([f"dry run / mailmerge dry run, N={dry_n}", f">= {TARGET_DRY:g}", f"{lpd / mmd:.1f}",
                     verdict(lpd / mmd, TARGET_DRY),
                     f"(vs plain-letter mailmerge: {lpd / mmdp:.1f})" if mmdp else ""])
    if rss_points:
        n_max, mb_max, _ = rss_points[-1]
        n_min, mb_min, _ = rss_points[0]
        body.append([f"peak RSS, dry run N={n_max:,}", f"< {TARGET_RSS_MB:g} MB", f"{mb_max:.1f} MB",
                     verdict(mb_max, TARGET_RSS_MB, higher=False), ""])
        if len(rss_points) > 1:
            growth = mb_max / mb_min
            body.append([f"peak RSS flat: N={n_max:,} / N={n_min:,}", "<= 1.25", f"{growth:.2f}",
                         verdict(-growth, -1.25), f"(+{mb_max - mb_min:.1f} MB for "
                         f"{n_max - n_min:,} more rows)"])
    p(table(["ratio", "target", "measured", "verdict", ""], body))
    p("")


def interference(p, rows):
    measured = any("other_cpu_s" in r and r["other_cpu_s"] not in (None, "") for rs in rows.values() for r in rs)
    flagged = [(k, r) for k, rs in rows.items() for r in rs
               if k[0] != "meta" and float(r.get("other_cpu_s") or 0) > INTERFERENCE * float(r["seconds"])]
    if flagged:
        p(f"* other processes used more than {INTERFERENCE:.0%} of a core during at least one run of this "
          f"figure ({len(flagged)} of {sum(len(rs) for k, rs in rows.items() if k[0] != 'meta')} runs):")
        for (sec, case), r in flagged:
            p(f"    {sec} {case} run {r['run']}: {float(r['other_cpu_s']):.1f} CPU s over {float(r['seconds']):.1f} s")
    elif not measured:
        p("(Other processes' CPU use during the runs was not measured in this results file.)")
    else:
        p(f"No run shared the machine: other processes used under {INTERFERENCE:.0%} of a core during every timed run.")


if __name__ == "__main__":
    sys.exit(main())
