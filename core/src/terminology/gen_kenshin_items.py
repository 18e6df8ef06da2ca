#!/usr/bin/env python3
"""Generates kenshin_items.rs (the 4th-period 特定健診 item table) from the domain specification.

Usage (from the repository root):
    python3 core/src/terminology/gen_kenshin_items.py /work/shared/spec/kenshin-cda.md \
        > core/src/terminology/kenshin_items.rs

Reads Appendix A (322 item codes), Appendix B (method codes) and section 9 (answer lists) of
kenshin-cda.md. The generated file is committed so building never needs the specification.
UCUM translations of the XML units follow rule R23 of the specification (a design decision there).
"""
import re
import sys

# Rule R23: 付属2 XML unit -> UCUM code for FHIR. Units not listed are valid UCUM as written.
UCUM = {
    "{h`b}/min": "/min",
    "ml/min/1.73m2": "mL/min/{1.73_m2}",
    "mg/g*CR": "mg/g{creat}",
    "mg/day": "mg/d",
    "fl": "fL",
}

# Extra answers accepted by tolerance rules (R11: code 0 for 18110/18120/18130).
EXTRA_ANSWERS = {
    "18120": [("0", "詳細健診以外で実施")],
    "18130": [("0", "詳細健診以外で実施")],
}


def section(text, start, end):
    i = text.index(start)
    j = text.index(end, i) if end else len(text)
    return text[i:j]


def cells(line):
    # Split a Markdown table row on '|' outside code spans (``…`` spans may contain a backtick).
    spans = []

    def keep(m):
        spans.append(m.group(0))
        return "\x00%d\x00" % (len(spans) - 1)

    masked = re.sub(r"``.*?``|`[^`]*`", keep, line.strip()[1:-1])
    restore = lambda s: re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], s)
    return [restore(c).strip() for c in masked.split("|")]


def strip_ticks(s):
    s = s.strip()
    m = re.fullmatch(r"``\s*(.*?)\s*``|`(.*?)`", s)
    if m:
        return m.group(1) if m.group(1) is not None else m.group(2)
    return s


def parse_unit(cell):
    if not cell:
        return None, None
    if "→" in cell:
        disp, xml = cell.split("→", 1)
        return disp.strip(), strip_ticks(xml)
    u = strip_ticks(cell)
    return u, u


def category(row):
    if 213 <= row <= 249 or row in (306, 307):
        return "Judgement"
    if 250 <= row <= 280:
        return "Questionnaire"
    if 281 <= row <= 305:
        return "FunctionalQuestionnaire"
    if 308 <= row <= 322:
        return "LateElderlyQuestionnaire"
    return "Examination"


def rs(s):
    if s is None:
        return "None"
    return "Some(%s)" % lit(s)


def lit(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_items(text):
    app = section(text, "## Appendix A.", "## Appendix B.")
    items = []
    for line in app.splitlines():
        if not re.match(r"^\| \d+ \|", line):
            continue
        c = cells(line)
        row, code, name, typ, unit, oid, methods = c[:7]
        assert re.fullmatch(r"[0-9A-Z]{17}", code), code
        vt = {"PQ": "Pq", "CD": "Cd", "CO": "Co", "ST": "St", "ST (年月日)": "Date"}[typ]
        disp, xml = parse_unit(unit)
        items.append(dict(
            row=int(row), code=code, name=name, vt=vt, disp=disp, xml=xml,
            ucum=(UCUM.get(xml, xml) if xml else ("1" if vt == "Pq" else None)),
            oid=("1.2.392.200119.6." + oid) if oid else None,
            methods=[m for m in re.split(r"[ ,/]+", methods) if m],
        ))
    return items


def parse_methods(text):
    app = section(text, "## Appendix B.", None)
    out = []
    for line in app.splitlines():
        m = re.match(r"^\| ([0-9A-Z]{10}) \| (.*) \|$", line)
        if m:
            out.append((m.group(1), m.group(2).strip()))
    return out


def parse_answers(text):
    sec = section(text, "## 9. Result code systems", "## 10.")
    lists = {}
    for line in sec.splitlines():
        if not re.match(r"^\| \d", line):
            continue
        c = cells(line)
        head, codes = c[0], c[2]
        codes = codes.split("⚠")[0].strip()
        codes = re.sub(r"\s+\([^()]*\)$", "", codes)
        oids = []
        m = re.match(r"^(\d+)–(\d+), (\d+)–(\d+)", head)
        if m:
            a, b, x, y = map(int, m.groups())
            oids = [str(n) for n in list(range(a, b + 1, 10)) + list(range(x, y + 1, 10))]
        else:
            oids = re.findall(r"^\d+(?: / \d+)*", head)[0].split(" / ")
        if "…" in codes and "10号" in codes:  # ガフキー号数: code = number + 1
            answers = [(str(n + 1), "%d号" % n) for n in range(11)]
        else:
            answers = []
            for part in re.split(r",\s+(?=\d+\s)", codes):
                k, v = part.split(" ", 1)
                assert k.isdigit(), (head, part)
                answers.append((k, v.strip()))
        if answers and answers[-1][1].startswith("…感染"):  # 2150: second display abbreviated
            answers[-1] = (answers[-1][0], "現在、C型肝炎ウイルスに" + answers[-1][1][1:])
        for o in oids:
            lists[o] = answers + EXTRA_ANSWERS.get(o, [])
    return lists


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    items = parse_items(text)
    methods = parse_methods(text)
    answers = parse_answers(text)
    codes = [i["code"] for i in items]
    assert len(set(codes)) == len(codes), "duplicate item codes"
    for i in items:
        if i["oid"]:
            assert i["oid"].rsplit(".", 1)[1] in answers, ("answer list missing", i["code"], i["oid"])
        for m in i["methods"]:
            assert any(m == k for k, _ in methods), ("method missing", m)
    p = print
    p("// @generated by core/src/terminology/gen_kenshin_items.py from shared/spec/kenshin-cda.md")
    p("// (Appendix A, Appendix B, section 9). Do not edit; regenerate with:")
    p("//   python3 core/src/terminology/gen_kenshin_items.py /work/shared/spec/kenshin-cda.md \\")
    p("//       > core/src/terminology/kenshin_items.rs && cargo fmt --all")
    p()
    p("use super::{ItemCategory, ItemInfo};")
    p("use crate::record::ValueType;")
    p()
    p("/// Number of item codes in the 4th-period table (the specification's count).")
    p("pub const ITEM_COUNT: usize = %d;" % len(items))
    p()
    p("/// All 4th-period items, sorted by code for binary search (`row` keeps the table order).")
    p("pub static ITEMS: [ItemInfo; ITEM_COUNT] = [")
    for i in sorted(items, key=lambda x: x["code"]):
        p("    ItemInfo {")
        p("        row: %d," % i["row"])
        p("        code: %s," % lit(i["code"]))
        p("        name: %s," % lit(i["name"]))
        p("        value_type: ValueType::%s," % i["vt"])
        p("        unit_display: %s," % rs(i["disp"]))
        p("        unit_xml: %s," % rs(i["xml"]))
        p("        ucum: %s," % rs(i["ucum"]))
        p("        result_oid: %s," % rs(i["oid"]))
        p("        methods: &[%s]," % ", ".join(lit(m) for m in i["methods"]))
        p("        category: ItemCategory::%s," % category(i["row"]))
        p("        numeric_format: None,")
        p("    },")
    p("];")
    p()
    p("/// 検査方法コード (OID `1.2.392.200119.6.1007`) with their 付属2 meanings, sorted by code.")
    p("pub static METHODS: [(&str, &str); %d] = [" % len(methods))
    for k, v in sorted(methods):
        p("    (%s, %s)," % (lit(k), lit(v)))
    p("];")
    p()
    p("/// Answer lists: bare result OID → (code, display), sorted by OID.")
    p("pub static ANSWER_LISTS: [(&str, &[(&str, &str)]); %d] = [" % len(answers))
    for o in sorted(answers, key=lambda s: "1.2.392.200119.6." + s):
        body = ", ".join("(%s, %s)" % (lit(k), lit(v)) for k, v in answers[o])
        p("    (%s, &[%s])," % (lit("1.2.392.200119.6." + o), body))
    p("];")


if __name__ == "__main__":
    main()
