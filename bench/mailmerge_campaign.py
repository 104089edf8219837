#!/usr/bin/env python3
"""Builds the mailmerge (PyPI mailmerge 2.3.0) equivalent of a letterpost campaign.

    python3 bench/mailmerge_campaign.py CAMPAIGN_DIR OUT_DIR

Run it with the benchmark's virtualenv Python (it needs Jinja2, which mailmerge brings). Writes
into OUT_DIR:

- mailmerge_template.txt: a multipart/alternative message whose text/plain part is the campaign's
  letter.txt and whose text/html part is its letter.html, with every [vars] value of
  campaign.toml already filled in, and `{{ organisation }}` left for mailmerge to fill from each CSV
  row. TO is the row's `email` cell (one or more addresses), CC its `cc` cell when not empty,
  FROM and SUBJECT as in campaign.toml. An `ATTACHMENT:` header attaches the appendix.
- the appendix: mailmerge attaches files, it cannot render an attachment per row, so the
  appendix template is rendered once (with the placeholder organisation "Kính gửi các cơ quan,
  đơn vị") and the same file is attached to every message, under the campaign's attachment name.
- plain_template.txt: for reference only, the letter's text part alone (no HTML, no attachment),
  the kind of short plain message mailmerge is usually benchmarked with.

The server configuration (mailmerge_server.conf: host 127.0.0.1, the sink's port,
`security = Never`, `ratelimit = 0`) is written by run.sh for each run, since every run has its
own sink on its own port.

The messages mailmerge sends are therefore the same letter text, the same HTML and an attachment
of the same size as letterpost's, to the same envelope recipients.
"""

import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

import jinja2

PLACEHOLDER = "Kính gửi các cơ quan, đơn vị"


def main():
    campaign_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    config = tomllib.loads((campaign_dir / "campaign.toml").read_text(encoding="utf-8"))
    tpl = config["templates"]
    variables = dict(config.get("vars", {}))
    # Includes (`{% include "partials/motto.html" %}`) are relative to the templates folder.
    templates_dir = (campaign_dir / tpl["letter_html"]).parent
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(templates_dir), str(campaign_dir)]),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)

    def render(name, organisation):
        return env.get_template(name).render(organisation=organisation, **variables)

    # `{{ organisation }}` survives the first rendering as literal text for mailmerge's Jinja2.
    text = render(tpl["letter_text"], "{{ organisation }}")
    html = render(tpl["letter_html"], "{{ organisation }}")
    out_dir.mkdir(parents=True, exist_ok=True)
    appendix_name = tpl.get("appendix_filename", "appendix.html")
    (out_dir / appendix_name).write_text(render(tpl["appendix"], PLACEHOLDER), encoding="utf-8")

    subject = env.from_string(config["campaign"]["subject"]).render(**variables)
    boundary = "==letterpost-bench-mailmerge-boundary=="
    headers = (
        "TO: {{ email }}\n"
        "{%- if cc %}\nCC: {{ cc }}{% endif %}\n"
        f"FROM: {config['campaign']['from']}\n"
        f"SUBJECT: {subject}\n"
    )
    template = (
        headers +
        f"ATTACHMENT: {appendix_name}\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/alternative; boundary="{boundary}"\n'
        "\n"
        f"--{boundary}\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "\n"
        f"{text}\n"
        f"--{boundary}\n"
        "Content-Type: text/html; charset=utf-8\n"
        "\n"
        f"{html}\n"
        f"--{boundary}--\n"
    )
    (out_dir / "mailmerge_template.txt").write_text(template, encoding="utf-8")
    (out_dir / "plain_template.txt").write_text(headers + "\n" + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
