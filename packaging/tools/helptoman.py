#!/usr/bin/env python3
"""Turns a binary's --help text into its man page, at build time, so the page never drifts from --help.

    helptoman.py --binary PATH --name NAME --version V --date YYYY-MM-DD --summary TEXT
                 [--subcommands] [--extra FILE] [--man OUT.1] [--man-gz OUT.1.gz]
                 [--completion TEMPLATE OUT]...

--subcommands: NAME --help lists "Commands:"; each command's own `NAME COMMAND --help` becomes a subsection
of COMMANDS, so the page documents every command. --extra appends hand-written sections that are not in
--help (SHELL COMPLETION, FILES, SEE ALSO), in the same "HEADING:" + paragraphs format.
--completion: writes the template with @CHRONOSCOPE_OPTIONS@ (every option) and
@CHRONOSCOPE_VALUE_OPTIONS@ (those taking a value) replaced, for the app's completion scripts.
docs/packaging.md "Man pages".
"""

import argparse
import gzip
import os
import re
import subprocess
import sys


def run_help(binary, args):
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")  # the app's --help builds a QApplication first
    p = subprocess.run([binary] + args + ["--help"], capture_output=True, text=True, env=env)
    if p.returncode != 0 or not p.stdout.strip():
        sys.exit(f"helptoman: {binary} {' '.join(args)} --help failed ({p.returncode}): {p.stderr}")
    return p.stdout


def blocks(text):
    """Paragraphs separated by blank lines, each a list of lines."""
    out, cur = [], []
    for line in text.rstrip().splitlines():
        if line.strip():
            cur.append(line.rstrip())
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


ITEM = re.compile(r"^( {1,8})(\S.*?)(?: {2,}(\S.*))?$")


def parse_items(lines):
    """'  term   description' lines (description continued on deeper-indented lines) -> [(term, text)]."""
    items = []
    for line in lines:
        indent = len(line) - len(line.lstrip())
        m = ITEM.match(line)
        if indent <= 8 and m:
            items.append([m.group(2).strip(), (m.group(3) or "").strip()])
        elif items:
            items[-1][1] = (items[-1][1] + " " + line.strip()).strip()
    return items


def esc(text):
    """Plain text for roff: backslashes, and a leading dot or quote that roff would take as a request."""
    text = text.replace("\\", "\\e")
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def term(text):
    """An option or synopsis term: flags bold, value names italic, '-' as a real minus sign."""
    parts = []
    for tok in re.split(r"(\s+)", text):
        if not tok or tok.isspace():
            parts.append(tok)
        elif tok.startswith("-") or re.match(r"^[a-z][a-z0-9-]*$", tok):
            parts.append("\\fB" + esc(tok).replace("-", "\\-") + "\\fR")
        else:
            parts.append("\\fI" + esc(tok).replace("-", "\\-") + "\\fR")
    return "".join(parts)


def section_items(items):
    out = []
    for t, d in items:
        out += [".TP", term(t), esc(d) if d else ""]
    return [l for l in out if l != ""]


def is_heading(line):
    return re.match(r"^[A-Z][A-Za-z ]*:$", line) is not None


def help_sections(text, name):
    """(usage, description paragraphs, {heading: items}, other paragraphs after the lists) of one --help."""
    bs = blocks(text)
    usage = ""
    desc, lists, after = [], [], []
    for b in bs:
        if b[0].startswith("Usage:"):
            usage = re.sub(r"^Usage:\s*\S+", name, b[0])
            rest = b[1:]
            if rest:
                desc.append(" ".join(l.strip() for l in rest))
        elif is_heading(b[0]):
            lists.append((b[0][:-1], parse_items(b[1:])))
        elif lists:
            after.append(" ".join(l.strip() for l in b))
        else:
            desc.append(" ".join(l.strip() for l in b))
    return usage, desc, lists, after


def extra_sections(path):
    if not path:
        return []
    out = []
    for b in blocks(open(path, encoding="utf-8").read()):
        if is_heading(b[0]):
            out.append((b[0][:-1].upper(), [" ".join(l.strip() for l in b[1:])] if len(b) > 1 else []))
        elif out:
            out[-1][1].append(" ".join(l.strip() for l in b))
    return out


def man_page(a):
    text = run_help(a.binary, [])
    usage, desc, lists, after = help_sections(text, a.name)
    upper = a.name.upper().replace("-", "\\-")
    plain = a.name.replace("-", "\\-")
    lines = [
        f'.\\" Generated from `{a.name} --help` by packaging/tools/helptoman.py; do not edit.',
        f'.TH {upper} 1 "{a.date}" "{a.name} {a.version}" "User Commands"',
        ".SH NAME",
        f"{plain} \\- {esc(a.summary)}",
        ".SH SYNOPSIS",
        term(usage),
        ".SH DESCRIPTION",
    ]
    for p in desc:
        lines += [esc(p), ".PP"]
    if lines[-1] == ".PP":
        lines.pop()
    commands = []
    for heading, items in lists:
        if heading == "Commands":
            commands = [t.split()[0] for t, _ in items]
            continue
        title = {"Options": "OPTIONS", "Arguments": "ARGUMENTS"}.get(heading, heading.upper())
        lines += [".SH " + title] + section_items(items)
    for p in after:
        lines += [".PP", esc(p)]
    if a.subcommands:
        lines.append(".SH COMMANDS")
        summaries = dict((t.split()[0], d) for h, items in lists if h == "Commands" for t, d in items)
        for c in commands:
            cu, cdesc, clists, cafter = help_sections(run_help(a.binary, [c]), a.name)
            lines += [".SS " + c, esc(summaries.get(c, "")), ".PP", term(cu)]
            for p in cdesc:
                lines += [".PP", esc(p)]
            for heading, items in clists:
                if heading == "Global options":
                    continue  # once, under OPTIONS
                lines += [".PP", esc(heading) + ":", ".RS"] + section_items(items) + [".RE"]
            for p in cafter:
                lines += [".PP", esc(p)]
    for heading, paras in extra_sections(a.extra):
        lines.append(".SH " + heading)
        for i, p in enumerate(paras):
            if i:
                lines.append(".PP")
            lines.append(esc(p))
    return "\n".join(lines) + "\n", lists


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--date", required=True)
    ap.add_argument("--summary", required=True)
    ap.add_argument("--subcommands", action="store_true")
    ap.add_argument("--extra")
    ap.add_argument("--man")
    ap.add_argument("--man-gz")
    ap.add_argument("--completion", nargs=2, action="append", default=[], metavar=("TEMPLATE", "OUT"))
    a = ap.parse_args()
    page, lists = man_page(a)
    if a.man:
        with open(a.man, "w", encoding="utf-8") as f:
            f.write(page)
    if a.man_gz:
        # -9n as Debian wants it: best compression, no name and no time stamp in the header (reproducible).
        with open(a.man_gz, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
                f.write(page.encode("utf-8"))
    if a.completion:
        options, valued = [], []
        for heading, items in lists:
            if heading != "Options":
                continue
            for t, _ in items:
                for tok in t.split(", "):
                    flag = tok.split()[0]
                    if flag.startswith("--"):
                        options.append(flag)
                        if len(tok.split()) > 1:
                            valued.append(flag)
        for template_path, out_path in a.completion:
            template = open(template_path, encoding="utf-8").read()
            out = template.replace("@CHRONOSCOPE_OPTIONS@", " ".join(options)).replace(
                "@CHRONOSCOPE_VALUE_OPTIONS@", " ".join(valued))
            with open(out_path, "w", encoding="utf-8") as f:
                f.write(out)


if __name__ == "__main__":
    main()
