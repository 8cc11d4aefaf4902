"""Program mentions: quoted campaign names (“娘家人”服务品牌) and 《》 document titles, each with the
organisation that runs it."""

from __future__ import annotations

import re

from ..models import Mention
from .organisations import Organisation
from .text import FieldText

_QUOTE_PAIRS = re.compile(r"“([^“”\n]{2,24})”|\"([^\"\n]{2,24})\"|「([^「」\n]{2,24})」|‘([^‘’\n]{2,24})’")
_DOC_TITLE = re.compile(r"《([^《》\n]{2,60})》")
_MEDIA = re.compile(r"(?:报|日报|晚报|杂志|周刊|时报|画报|学报|新闻|电视台|网)$|^(?:求是|旗帜|中直党建|半月谈)$")
_SPEECH_PUNCT = re.compile(r"[，。！？；：,.!?;:…—]")
_PROGRAM_BEFORE = re.compile(
    r"(?:开展|推出|启动|实施|举办|创建|打造|发起|建设|建立|命名|评选|推动|推行|组织|明确|创新|深化|参与|参加|"
    r"持续|倡议|实行|叫响|擦亮|品牌|首届|年度)$"
)
_PROGRAM_AFTER = re.compile(
    r"^[^，。！？；“”\"]{0,6}?(?:活动|行动|工程|项目|计划|模式|品牌|专栏|竞赛|大赛|评选|机制|宣讲|比赛|工作法|"
    r"体系|交流会|仪式|系列|专项|平台|载体|主题|读书月|站点|驿站|课堂|讲堂|工作室|服务队|联盟|行动计划|建设|作业题)"
)
_PROGRAM_SELF = re.compile(
    r"(?:活动|行动|工程|计划|竞赛|大赛|评选|月|周|站|之家|课堂|讲堂|杯|奖|工作法|项目|品牌|专栏)$"
)


def find_programs(texts: list[FieldText], orgs: list[Organisation]) -> list[Mention]:
    """Quoted names that a verb, a program word or their own ending marks as a program, and 《》 titles
    that are not newspapers; a name marked so once counts wherever it is quoted."""
    found: list[tuple[FieldText, int, int, str, str]] = []  # text, start, end (incl. quotes), name, kind
    candidates = []
    for text in texts:
        c = text.compact
        for m in _QUOTE_PAIRS.finditer(c):
            name = next(g for g in m.groups() if g is not None)
            if _SPEECH_PUNCT.search(name) or name.isdigit():
                continue
            before, after = c[max(0, m.start() - 4) : m.start()], c[m.end() : m.end() + 10]
            if before.endswith(("说", "：", ":", "道")) or after.startswith(("说", "表示", "告诉")):
                continue
            candidates.append((text, m, name, before, after))
        for m in _DOC_TITLE.finditer(c):
            name = m.group(1)
            if not _MEDIA.search(name):
                found.append((text, m.start(), m.end(), name, "document"))
    strong = set()
    for _text, _m, name, before, after in candidates:
        if _PROGRAM_BEFORE.search(before) or _PROGRAM_AFTER.match(after) or _PROGRAM_SELF.search(name):
            if len(name) >= 3 or _PROGRAM_AFTER.match(after):
                strong.add(name)
    for text, m, name, _before, _after in candidates:
        if name in strong:
            found.append((text, m.start(), m.end(), name, "campaign"))
    out = []
    for text, cs, ce, name, kind in found:
        org = _acting_org(text, cs, ce, orgs)
        start, end = text.span(cs, ce)
        out.append(
            Mention("program", text.original[start:end], text.field, start, end, name, {"org": org, "kind": kind})
        )
    return out


def _acting_org(text: FieldText, start: int, end: int, orgs: list[Organisation]) -> str:
    """The organisation running a program: nearest before it in the sentence, else after it, else the article's first."""
    s, e = text.sentence(start)
    same = [o for o in orgs if o.text is text and s <= o.start < e]
    before = [o for o in same if o.end <= start]
    if before:
        return before[-1].value
    after = [o for o in same if o.start >= end]
    if after:
        return after[0].value
    unions = [o for o in orgs if o.kind != "gov"]
    return unions[0].value if unions else (orgs[0].value if orgs else "")
