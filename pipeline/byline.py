"""Bylines and photo credits: recognising them in page text and parsing them into names.

Forms seen on Workers' Daily style pages:
  本报讯（记者康劲 通讯员崔小清）…         a dispatch byline at the head of a news item
  本报记者 吴铎思 本报通讯员 杨林           a byline line of its own (features)
  本报通讯员 石玉成 摄 / 黄金魁 摄/视觉中国   a photo credit closing a caption
  莹 贾丽莉）…                              the tail of a dispatch byline whose head fell in another column

Names follow their role word (记者, 通讯员), several separated by spaces or 、; the names
before 摄 are the photographers. A one-character "name" is half of a name that column
extraction split (夏丽 萍 → 夏丽萍).
"""

from __future__ import annotations

import re

from pipeline.models import Byline

from .chars import HAN

# Role words; the prefix (本报/特约/见习/实习) does not change the role.
_ROLE = r"(?:本报|特约|见习|实习)?(?:记者|通讯员)"
_PHOTO = r"(?:摄影报道|摄影|文\s*/\s*图|图\s*/\s*文|文摄|摄)"
_AGENCY = r"(?:视觉中国|新华社(?:发)?|人民视觉|中新社|IC\s*photo|东方IC)"

_COMPILED = "整理"  # 本报记者 王永战整理: the reporter compiled the piece
_TOKEN = re.compile(
    rf"(?P<role>{_ROLE})|(?P<photo>{_PHOTO})|(?P<compiled>{_COMPILED})"
    rf"|(?P<name>(?:(?!{_ROLE}|{_PHOTO}|{_COMPILED})[{HAN}·])+)"
)
_DISPATCH = re.compile(
    rf"^\**\s*(?P<lead>本报讯|[{HAN}\w]{{2,16}}?讯(?=\s|[（(]|$)|[{HAN}\w]{{2,16}}?电(?=\s*[（(]))\s*\**\s*"
    r"(?:[（(](?P<inner>[^（()）]{0,48})[）)])?\s*"
)
# The end of a dispatch byline whose start is lost: "莹 贾丽莉）" at a paragraph head.
_BYLINE_TAIL = re.compile(rf"^(?P<inner>[{HAN}·\s、]{{1,20}})[）)]\s*")
# Names, each after an optional role word, then the photo word: 本报通讯员 石玉成 摄. After a
# role word the photo word may follow the last name directly: 新华社记者 杨宗友摄 (People's Daily).
_CREDIT_NAMES = rf"(?:(?:{_ROLE})?\s*[{HAN}·]{{1,5}}[\s、]*){{1,6}}"
_ROLE_LED_NAMES = rf"[{HAN}]{{0,4}}?{_ROLE}(?:\s*[{HAN}·]{{1,5}}[\s、]*){{1,6}}"
_CREDIT_TAIL = re.compile(
    rf"(?:^|(?<=[。！？”…\s]))\s*[（(]?(?P<credit>(?:{_CREDIT_NAMES}\s+|{_ROLE_LED_NAMES}\s*)"
    rf"{_PHOTO}(?:\s*[/／]\s*{_AGENCY}|\s+{_AGENCY})?)[）)]?\s*$"
)
_AGENCY_LINE = re.compile(rf"^\s*[/／]?\s*{_AGENCY}\s*$")
_OTHER_ROLES = ("评论员", "撰稿人", "作者")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        assert kind is not None  # every alternative of _TOKEN is a named group
        tokens.append((kind, m.group(kind)))
    return tokens


def _strip_dispatch(text: str) -> str:
    """记者… from 本报讯（记者…）; agency suffixes dropped."""
    m = _DISPATCH.match(text)
    if m:
        text = m.group("inner") or ""
    text = re.sub(rf"\s*[/／]?\s*{_AGENCY}\s*$", "", text)
    return text.strip(" （()）*")


def _add(names: list[str], name: str) -> None:
    if name not in names:
        names.append(name)


def parse_byline(text: str) -> Byline:
    """Reporters after 记者, correspondents after 通讯员, photographers before 摄; raw kept as given."""
    raw = re.sub(r"\s+", " ", (text or "").strip())
    if not raw:
        return Byline()
    groups: dict[str, list[str]] = {"记者": [], "通讯员": [], "photo": []}
    role: str | None = None
    since_photo: list[str] = []
    last_list: list[str] | None = None
    for kind, tok in _tokens(_strip_dispatch(raw)):
        if kind == "role":
            role = "记者" if tok.endswith("记者") else "通讯员"
            continue
        if kind == "compiled":
            continue
        if kind == "photo":
            for n in since_photo:
                _add(groups["photo"], n)
            since_photo, role, last_list = [], None, None
            continue
        name = tok.strip("·")
        if not name or name in _OTHER_ROLES:
            continue
        if len(name) == 1:  # half a name split by column extraction
            if last_list and since_photo and len(since_photo[-1]) < 4:
                merged = since_photo[-1] + name
                last_list[last_list.index(since_photo[-1])] = merged
                since_photo[-1] = merged
            continue
        if len(name) > 4 and "·" not in name:  # a phrase, not a name
            continue
        target = groups[role] if role else []
        _add(target, name)
        last_list = target
        since_photo.append(name)
    return Byline(
        raw=raw,
        reporters=tuple(groups["记者"]),
        correspondents=tuple(groups["通讯员"]),
        photographers=tuple(groups["photo"]),
    )


def merge_bylines(*bylines: Byline) -> Byline:
    """One byline from a dispatch byline and the photo credits of the same article."""
    present = [b for b in bylines if b.raw]
    if len(present) <= 1:
        return present[0] if present else Byline()

    def union(attr: str) -> tuple[str, ...]:
        out: list[str] = []
        for b in present:
            for n in getattr(b, attr):
                _add(out, n)
        return tuple(out)

    return Byline(
        raw=" ".join(b.raw for b in present),
        reporters=union("reporters"),
        correspondents=union("correspondents"),
        photographers=union("photographers"),
    )


def _only_names_and_roles(text: str, need_role: bool) -> bool:
    toks = _tokens(text)
    covered = sum(len(t) for _, t in toks)
    rest = re.sub(r"[\s、，,·]", "", text)
    if covered < len(rest) or not toks:
        return False
    kinds = [k for k, _ in toks]
    names = [t for k, t in toks if k == "name"]
    if "name" not in kinds or any(len(n) > 4 and "·" not in n for n in names):
        return False
    return ("role" in kinds) if need_role else True


def is_byline_line(text: str) -> bool:
    """A paragraph that is only a byline: 本报记者 吴铎思 本报通讯员 杨林 (no 摄)."""
    t = text.strip().strip("*□■ ")
    if not t or len(t) > 40 or re.search(_PHOTO + r"\s*$", t):
        return False
    return _only_names_and_roles(t, need_role=True)


def is_credit_line(text: str) -> bool:
    """A paragraph that is only a photo credit: 本报通讯员 石玉成 摄, 黄金魁 摄/视觉中国."""
    t = text.strip()
    if not t or len(t) > 48:
        return False
    m = _CREDIT_TAIL.search(t)
    return bool(m and m.start() == 0 and _only_names_and_roles(_credit_names(m["credit"]), need_role=False))


def _credit_names(credit: str) -> str:
    return re.sub(rf"\s*{_PHOTO}(?:\s*[/／]?\s*{_AGENCY})?\s*$", "", credit)


def split_trailing_credit(text: str) -> tuple[str, str]:
    """(caption, credit) when a paragraph ends with a photo credit (…热火朝天。孟德龙 摄), else (text, '')."""
    t = text.rstrip()
    m = _CREDIT_TAIL.search(t)
    if not m or m.start() == 0:
        return text, ""
    credit = m["credit"].strip()
    if not _only_names_and_roles(_credit_names(credit), need_role=False):
        return text, ""
    head = t[: m.start()].rstrip()
    if not head or head.endswith(("（", "(")):
        return text, ""
    return head, credit


def find_byline_text(paragraphs: list[str] | str) -> str:
    """The byline as an article's own text prints it, or '': a dispatch byline at its head
    (本报讯（记者…）, 新华社北京1月31日电（记者…）), a first or last paragraph that is only a byline
    or a photo credit (本报记者 吴铎思 本报通讯员 薛晓秋 摄), or the credit closing the last caption
    (…热火朝天。孟德龙 摄). White space inside it is folded to single spaces (People's Daily
    prints no-break spaces: 新华社记者\u00a0杨宗友摄)."""
    if isinstance(paragraphs, str):
        paragraphs = [line.strip() for line in paragraphs.split("\n") if line.strip()]
    if not paragraphs:
        return ""
    found = split_leading_byline(paragraphs[0])[0]
    if not found:
        found = next((p for p in (paragraphs[0], paragraphs[-1]) if is_byline_line(p) or is_credit_line(p)), "")
    if not found:
        found = split_trailing_credit(paragraphs[-1])[1]
    return " ".join(found.split())


def split_leading_byline(text: str) -> tuple[str, str]:
    """(byline, rest) for a paragraph opening with 本报讯（记者…）, XX日讯, or 新华社…电（记者…）; else ('', text)."""
    m = _DISPATCH.match(text)
    if not m:
        return "", text
    return text[: m.end()].strip().replace("**", ""), text[m.end() :].lstrip()


def split_byline_tail(text: str) -> tuple[str, str]:
    """('莹 贾丽莉', rest) when a paragraph opens with the names and closing bracket of a lost byline."""
    m = _BYLINE_TAIL.match(text)
    if not m or not _only_names_and_roles(m["inner"], need_role=False):
        return "", text
    return m["inner"].strip(), text[m.end() :].lstrip()


def is_agency_line(text: str) -> bool:
    """A line holding only the picture agency that a credit wrapped onto (视觉中国)."""
    return bool(_AGENCY_LINE.match(text))


_AUTHOR_LINE = re.compile(rf"^[（(](?P<inner>[{HAN}·\s、A-Za-z0-9]{{2,16}})[）)]$")


def author_in_brackets(text: str) -> str:
    """The writer credited on a line of its own in brackets at an item's end: '（牛全海）' → '牛全海',
    '(宝鸡县总工会)' → '宝鸡县总工会' (digest items credit a person or the sending union); else ''."""
    m = _AUTHOR_LINE.match(text.strip())
    return re.sub(r"\s+", " ", m["inner"]).strip() if m else ""
