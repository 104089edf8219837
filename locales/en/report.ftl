# Problems, progress and the retry queue, as `report` prints them on stderr.

report-problem = error: { $problem }
report-problems-found = { $count ->
        [one] 1 problem found
       *[other] { $count } problems found
    }; { $what_happened }
# indicatif's template: {bar:30} {pos} {len} {per_sec} {eta} {msg} are filled in by the bar.
report-bar = {"{"}bar:30{"}"} {"{"}pos{"}"}/{"{"}len{"}"} letters  {"{"}per_sec{"}"}  ETA {"{"}eta{"}"}  {"{"}msg{"}"}
report-progress = progress: { $done }/{ $total } letters, { $rate }/s, about { $seconds_left } s left
report-note-waiting = { $note }; waiting: { $waiting }
report-idle = waiting: { $waiting }
report-waiting = { $letters ->
        [one] 1 letter
       *[other] { $letters } letters
    } deferred by the relay, next retry { $seconds ->
        [0] now
       *[other] in { $seconds } s
    }
