#!/usr/bin/env python3
# tests/tools/check_atomic_labels.py: every non-relaxed atomic in src/ names its
# edge (STYLE.md section 0: "Every non-relaxed atomic says why, next to it, with
# its edge label"), and every label it names is listed in
# papers/design/memory-ordering.md.
#
#   python3 tests/tools/check_atomic_labels.py            # checks <repo>/src
#   python3 tests/tools/check_atomic_labels.py --root DIR  # another checkout
#   python3 tests/tools/check_atomic_labels.py FILE...     # only these files
#
# Exit status 0 when every site is labelled, 1 when one is not (each printed as
# file:line: what is wrong, then the offending line), 2 when the script cannot
# run (no src/, no memory-ordering.md). ctest runs it as tools.atomic_labels
# (tests/CMakeLists.txt). Python 3 standard library only.
#
# What is a site. In every .hpp/.cpp under src/, with comments and string
# literals set aside:
#   1. an atomic operation called with a non-relaxed order: a member call
#      (. or ->) of load, store, exchange, compare_exchange_weak/_strong,
#      fetch_add/_sub/_and/_or/_xor/_max/_min, test_and_set, test, clear, wait,
#      or a free atomic_*_explicit call, whose argument list names
#      memory_order_acquire, _release, _acq_rel, _seq_cst or _consume (or the
#      memory_order::X spelling); a compare-exchange counts when either of its
#      orders is non-relaxed;
#   2. a default-ordered operation, which is seq_cst: a member call of load,
#      store, exchange, compare_exchange_weak/_strong, fetch_* or test_and_set,
#      or a free atomic_load/atomic_store/atomic_exchange/atomic_fetch_*/
#      atomic_compare_exchange_* call, whose argument list names no
#      memory_order at all. (wait, clear and test are left out here: their
#      names are shared with condition variables and containers.)
#   3. every std::atomic_thread_fence / atomic_signal_fence not given
#      memory_order_relaxed;
#   4. any other non-relaxed memory_order token in code (an order kept in a
#      variable or passed through a macro);
#   5. ++, --, +=, -=, &=, |=, ^= applied to a name declared std::atomic<...>
#      (or std::atomic_flag / atomic_bool etc.) in the same file: seq_cst RMWs.
#      Plain assignment and implicit loads of an atomic are seq_cst too but
#      cannot be told apart from other code by text alone: they are not
#      detected, and the house style spells every atomic access as a call.
#
# What is a label. An edge label is an upper-case letter or up to four, then
# digits, in parentheses, inside a comment: (P1), (X2), (RG1), (R12), (E2).
# Labels are global: numbers alone, like (1), are not labels (they are the
# common way to number a list in prose, and two files' (1) would collide).
# A site is labelled when such a label appears in a comment on a line of the
# statement that holds the site (from the previous ';', '{' or '}' to the next
# one, so a multi-line call and a multi-line condition count as one), or in the
# comment-only lines directly above that statement.
#
# Where a label is listed. Every label a site names must appear in the first
# column of a table row in papers/design/memory-ordering.md ("| P1 | ...",
# "| R10, R11 | ..."). That row says which operation it is, its order, the
# operation it pairs with and what the edge orders.
#
# Sites that are not a happens-before edge. There is no comment form that
# excuses a site ("// order: ..." is not enough). A non-relaxed order that is
# not one side of a synchronizes-with pair (a try-lock, a value read after
# std::thread::join, an order kept only because it is the default) still gets a
# label, and its row in memory-ordering.md says so in its "pairs with" column
# ("none: ...") with the reason, and whether the order is stronger than needed.
#
# One escape, for the text heuristics only: a member call that rule 2 takes for
# a default-ordered atomic but that is not an atomic at all (a class of our own
# with a load() method) may carry the comment "atomic-labels: not atomic" on
# its line. It never excuses a call that names a non-relaxed memory_order.

import argparse
import os
import re
import sys

NON_RELAXED = ("acquire", "release", "acq_rel", "seq_cst", "consume")
ORDER_RE = re.compile(r"\bmemory_order(?:_|::)(relaxed|acquire|release|acq_rel|seq_cst|consume)\b")
ANY_ORDER_RE = re.compile(r"\bmemory_order")
LABEL_RE = re.compile(r"\(([A-Z]{1,4}[0-9]{1,3})\)")
NUMERIC_LABEL_RE = re.compile(r"\(([0-9]{1,3})\)")
NOT_ATOMIC_MARK = "atomic-labels: not atomic"

# Member calls that take an order: rule 1 with an order, rule 2 without one.
MEMBER_OPS_DEFAULT = {
    "load", "store", "exchange", "compare_exchange_weak", "compare_exchange_strong",
    "fetch_add", "fetch_sub", "fetch_and", "fetch_or", "fetch_xor", "fetch_max",
    "fetch_min", "test_and_set",
}
MEMBER_OPS_ORDER_ONLY = {"wait", "clear", "test"}
MEMBER_CALL_RE = re.compile(
    r"(?:\.|->)\s*(?:template\s+)?(" + "|".join(sorted(MEMBER_OPS_DEFAULT | MEMBER_OPS_ORDER_ONLY))
    + r")\s*\(")
FREE_CALL_RE = re.compile(
    r"\b(atomic_thread_fence|atomic_signal_fence|atomic_flag_[a-z_]+|"
    r"atomic_(?:load|store|exchange|compare_exchange_weak|compare_exchange_strong|"
    r"fetch_add|fetch_sub|fetch_and|fetch_or|fetch_xor|wait)(?:_explicit)?)\s*\(")
ATOMIC_DECL_RE = re.compile(
    r"\batomic(?:<[^;{}()]*?>|_flag|_bool|_int|_uint|_size_t|_[a-z0-9_]+_t)\s*(?:\*\s*)?"
    r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[|\{|=|;)")


def split_code_and_comments(text):
    """Returns (code, comments): code is text with comments and string/char
    literals blanked (newlines kept, so offsets and lines match); comments[i]
    is the comment text on line i (0-based)."""
    n = len(text)
    code = list(text)
    nlines = text.count("\n") + 1
    comments = [""] * nlines
    line = 0
    i = 0

    def blank(a, b, keep_comment):
        nonlocal line
        for k in range(a, b):
            c = text[k]
            if c == "\n":
                line += 1
                continue
            if keep_comment:
                comments[line] += c
            code[k] = " "

    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            # a backslash-newline continues a // comment; rare, handled.
            while j < n and j > 0 and text[j - 1] == "\\":
                k = text.find("\n", j + 1)
                j = n if k < 0 else k
            blank(i, j, True)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            blank(i, j, True)
            i = j
        elif c == "R" and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")
                                                        or text[i - 2:i] in ("u8",) or text[i - 1] in "uUL"):
            m = re.match(r'R"([^()\\\s]{0,16})\(', text[i:])
            if not m:
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i + m.end())
            j = n if end < 0 else end + len(m.group(1)) + 2
            blank(i, j, False)
            i = j
        elif c == '"' or (c == "'" and not _is_digit_separator(text, i)):
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            blank(i + 1, j - 1, False)
            i = j
        else:
            i += 1
    return "".join(code), comments


def _is_digit_separator(text, i):
    # 1'000'000: a quote inside a number. A char literal may follow an
    # encoding prefix (u8'x', u'x', U'x', L'x'), which is not a number.
    j = i - 1
    while j >= 0 and (text[j].isalnum() or text[j] in "_'"):
        j -= 1
    token = text[j + 1:i]
    return bool(token) and token[0].isdigit()


def matching_paren(code, open_pos):
    depth = 0
    for k in range(open_pos, len(code)):
        if code[k] == "(":
            depth += 1
        elif code[k] == ")":
            depth -= 1
            if depth == 0:
                return k
    return len(code) - 1


def statement_bounds(code, start, end):
    """Offsets of the statement holding code[start:end]: back to the previous
    ';', '{' or '}' outside parentheses, forward to the next one."""
    depth = 0
    a = start - 1
    while a >= 0:
        c = code[a]
        if c == ")":
            depth += 1
        elif c == "(":
            depth -= 1
        elif c in ";{}" and depth <= 0:
            break
        a -= 1
    depth = 0
    b = end
    while b < len(code):
        c = code[b]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c in ";{}" and depth <= 0:
            break
        b += 1
    return a + 1, b


class Site:
    def __init__(self, start, end, why):
        self.start, self.end, self.why = start, end, why


def find_sites(code):
    sites = []
    covered = []  # (start, end) of calls already examined

    def orders_in(args):
        return ORDER_RE.findall(args)

    for m in MEMBER_CALL_RE.finditer(code):
        name = m.group(1)
        close = matching_paren(code, m.end() - 1)
        args = code[m.end():close]
        covered.append((m.start(), close + 1))
        orders = orders_in(args)
        strong = [o for o in orders if o in NON_RELAXED]
        if strong:
            sites.append(Site(m.start(), close + 1, f"{name} with memory_order_{'/'.join(strong)}"))
        elif not ANY_ORDER_RE.search(args) and name in MEMBER_OPS_DEFAULT:
            sites.append(Site(m.start(), close + 1,
                              f"{name} with no memory_order argument (default: seq_cst)"))
            sites[-1].default = True

    for m in FREE_CALL_RE.finditer(code):
        name = m.group(1)
        close = matching_paren(code, m.end() - 1)
        args = code[m.end():close]
        covered.append((m.start(), close + 1))
        orders = orders_in(args)
        strong = [o for o in orders if o in NON_RELAXED]
        if strong:
            sites.append(Site(m.start(), close + 1, f"{name} with memory_order_{'/'.join(strong)}"))
        elif not ANY_ORDER_RE.search(args):
            if name in ("atomic_thread_fence", "atomic_signal_fence"):
                sites.append(Site(m.start(), close + 1, f"{name} with an order not given as memory_order_*"))
            elif not name.endswith("_explicit") and not name.startswith("atomic_flag_wait") \
                    and name not in ("atomic_wait",):
                sites.append(Site(m.start(), close + 1,
                                  f"{name} with no memory_order argument (default: seq_cst)"))
                sites[-1].default = True

    for m in ORDER_RE.finditer(code):
        if m.group(1) not in NON_RELAXED:
            continue
        if any(a <= m.start() < b for a, b in covered):
            continue
        sites.append(Site(m.start(), m.end(), f"memory_order_{m.group(1)} outside an atomic call"))

    names = set(ATOMIC_DECL_RE.findall(code))
    if names:
        alt = "|".join(sorted(re.escape(x) for x in names))
        op_re = re.compile(
            r"(?:(?:\+\+|--)\s*(?:[A-Za-z_][A-Za-z0-9_]*\s*(?:\.|->)\s*)*(?:" + alt + r")\b(?!\s*[\[(.]|\s*->)"
            r"|(?<![A-Za-z0-9_])(?:" + alt + r")\s*(?:\+\+|--|[-+&|^]=))")
        for m in op_re.finditer(code):
            sites.append(Site(m.start(), m.end(), f"operator on atomic '{m.group(0).strip()}' (seq_cst)"))
            sites[-1].default = True
    return sites


def line_of(offsets, pos):
    # offsets: start offset of each line
    lo, hi = 0, len(offsets) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if offsets[mid] <= pos:
            lo = mid
        else:
            hi = mid - 1
    return lo


def check_file(path, rel, listed, problems):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    code, comments = split_code_and_comments(text)
    lines = text.split("\n")
    offsets = [0]
    for ln in lines[:-1]:
        offsets.append(offsets[-1] + len(ln) + 1)
    code_lines = code.split("\n")

    for site in sorted(find_sites(code), key=lambda s: s.start):
        first = line_of(offsets, site.start)
        a, b = statement_bounds(code, site.start, site.end)
        s_first = line_of(offsets, a)
        # a statement "starts" after the previous one's ';' on the same line:
        # skip leading blank space to its first token
        while s_first < first and not code_lines[s_first][max(0, a - offsets[s_first]):].strip():
            s_first += 1
            a = offsets[s_first]
        s_last = line_of(offsets, max(b - 1, a))
        span = list(range(s_first, s_last + 1))
        above = s_first - 1
        while above >= 0 and comments[above].strip() and not code_lines[above].strip():
            span.append(above)
            above -= 1
        if getattr(site, "default", False) and any(NOT_ATOMIC_MARK in comments[k] for k in range(first, s_last + 1)):
            continue
        labels = []
        numeric = []
        for k in sorted(span):
            labels += LABEL_RE.findall(comments[k])
            numeric += NUMERIC_LABEL_RE.findall(comments[k])
        where = f"{rel}:{first + 1}"
        text_line = lines[first].strip()
        if not labels:
            extra = ""
            if numeric:
                extra = (f" (numbered ({numeric[0]}): labels are global and start with a letter,"
                         f" e.g. (L{numeric[0]}); rename it here and in memory-ordering.md)")
            problems.append(f"{where}: unlabelled non-relaxed atomic: {site.why}{extra}\n    {text_line}")
            continue
        unknown = [x for x in labels if x not in listed]
        if unknown:
            problems.append(f"{where}: label {', '.join('(' + x + ')' for x in unknown)} is not listed in "
                            f"papers/design/memory-ordering.md ({site.why})\n    {text_line}")


def listed_labels(doc_path):
    labels = set()
    with open(doc_path, encoding="utf-8") as f:
        for ln in f:
            s = ln.strip()
            if not s.startswith("|"):
                continue
            cells = s.strip("|").split("|")
            first = cells[0].strip() if cells else ""
            if not first or set(first) <= set("-: "):
                continue
            labels.update(re.findall(r"\b([A-Z]{1,4}[0-9]{1,3})\b", first))
    return labels


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Every non-relaxed atomic in src/ carries an edge label "
                                             "listed in papers/design/memory-ordering.md.")
    ap.add_argument("--root", default=os.path.normpath(os.path.join(here, "..", "..")),
                    help="repository root (default: two folders above this script)")
    ap.add_argument("files", nargs="*", help="check only these files (default: every .hpp/.cpp under src/)")
    opts = ap.parse_args()

    root = os.path.abspath(opts.root)
    doc = os.path.join(root, "papers", "design", "memory-ordering.md")
    src = os.path.join(root, "src")
    if not os.path.isfile(doc) or not os.path.isdir(src):
        print(f"check_atomic_labels: no {doc} or no {src}", file=sys.stderr)
        return 2
    listed = listed_labels(doc)

    files = []
    if opts.files:
        files = [os.path.abspath(f) for f in opts.files]
    else:
        for d, dirs, names in os.walk(src):
            dirs.sort()
            for nm in sorted(names):
                if nm.endswith((".hpp", ".cpp")):
                    files.append(os.path.join(d, nm))

    problems = []
    for path in files:
        check_file(path, os.path.relpath(path, root), listed, problems)
    for p in problems:
        print(p)
    if problems:
        print(f"check_atomic_labels: {len(problems)} site(s) without a listed edge label in {len(files)} file(s); "
              "rules: tests/tools/check_atomic_labels.py (top), papers/design/memory-ordering.md")
        return 1
    print(f"check_atomic_labels: every non-relaxed atomic in {len(files)} file(s) names a listed edge label")
    return 0


if __name__ == "__main__":
    sys.exit(main())
